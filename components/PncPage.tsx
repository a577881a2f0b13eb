// The admin Plug&Charge page: Hubject's events, those needing action first, each acknowledgeable.
import type { PncEventView } from "../lib/pnc/events.ts";
import { formatDate } from "./format.ts";
import { Page } from "./Page.tsx";

export interface PncPageProps {
  /** The same events as `GET /api/admin/pnc/events`, those needing action first. */
  events: PncEventView[];
  csrf: string;
}

/** `/admin/pnc`: its Acknowledge buttons post to /admin/pnc/acknowledge, then come back here. */
export function PncPage({ events, csrf }: PncPageProps) {
  const open = events.filter((e) => e.needsAction).length;
  return (
    <Page title="Plug&Charge · ExpresSync" adminNav="pnc" csrf={csrf} wide>
      <div class="section-head">
        <h1>Plug&amp;Charge events</h1>
      </div>
      <p class="muted">
        {open === 0
          ? "Nothing needs action."
          : `${open} ${open === 1 ? "event needs" : "events need"} action.`} Hubject sends these to
        {" "}
        <span class="mono">POST /api/pnc/webhooks</span>. New or revoked roots, provisioning
        certificates deleted or replaced, and contracts an OEM rejected stay flagged until
        acknowledged.
      </p>
      <section class="panel">
        {events.length === 0 ? <p class="muted">No events received yet.</p> : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Event</th>
                <th scope="col">Role</th>
                <th scope="col">Message</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => <EventRow key={e.id} event={e} csrf={csrf} />)}
            </tbody>
          </table>
        )}
      </section>
    </Page>
  );
}

function EventRow({ event: e, csrf }: { event: PncEventView; csrf: string }) {
  return (
    <tr class={e.needsAction ? "needs-action" : undefined} data-event-type={e.eventType}>
      <td class="small">{formatDate(e.receivedAt)}</td>
      <td>
        <span class="mono small">{e.eventType}</span>
        <details>
          <summary class="muted small">Payload</summary>
          <pre class="payload">{JSON.stringify(e.payload, null, 2)}</pre>
        </details>
      </td>
      <td class="small">{e.role ?? "—"}</td>
      <td class="small">{e.message ?? "Not in Hubject's list: stored, no action."}</td>
      <td>
        {e.needsAction
          ? (
            <form method="post" action="/admin/pnc/acknowledge" class="inline">
              <input type="hidden" name="_csrf" value={csrf} />
              <input type="hidden" name="id" value={String(e.id)} />
              <button type="submit" class="button small">Acknowledge</button>
            </form>
          )
          : e.acknowledgedAt
          ? <span class="muted small">Acknowledged {formatDate(e.acknowledgedAt)}</span>
          : <span class="muted small">None needed</span>}
      </td>
    </tr>
  );
}
