// The admin billing page: Lago queue, dead letters, unbillable events, SteVe/Lago state, sweeps.
import type { BillingOverview } from "../lib/billing/overview.ts";
import { formatDate, formatDuration } from "./format.ts";
import { Page } from "./Page.tsx";

export interface BillingPageProps {
  /** The same figures as `GET /api/admin/billing`. */
  overview: BillingOverview;
  csrf: string;
}

/** `/admin/billing`: its sweep and retry forms post to their own routes, then come back here. */
export function BillingPage({ overview: o, csrf }: BillingPageProps) {
  const unbillable = o.unbillable.noTag + o.unbillable.tagWithoutCustomer +
    o.unbillable.customerWithoutSubscription;
  const state = (ok: boolean, text: string) => (
    <span class={ok ? "badge badge-live" : "badge badge-warn"}>{text}</span>
  );
  return (
    <Page title="Billing · ExpresSync" adminNav="billing" csrf={csrf} wide>
      <div class="section-head">
        <h1>Billing</h1>
        <form method="post" action="/admin/billing/sweep" class="inline">
          <input type="hidden" name="_csrf" value={csrf} />
          <button type="submit" class="button secondary">
            Run reconciliation sweep now
          </button>
        </form>
      </div>
      <div class="stat-grid">
        <section class="panel stat">
          <h2>Lago</h2>
          {o.lago.configured
            ? state(
              !o.lago.lastErrorAt ||
                (o.lago.lastSuccessAt ?? "") > o.lago.lastErrorAt,
              o.lago.lastErrorAt &&
                (o.lago.lastSuccessAt ?? "") < o.lago.lastErrorAt
                ? "Failing"
                : "Connected",
            )
            : state(false, "Not configured")}
          <p class="muted small">
            {o.lago.configured
              ? o.lago.lastError && o.lago.lastErrorAt &&
                  (o.lago.lastSuccessAt ?? "") < o.lago.lastErrorAt
                ? `Last error ${formatDate(o.lago.lastErrorAt)}: ${o.lago.lastError}`
                : o.lago.lastSuccessAt
                ? `Last delivery ${formatDate(o.lago.lastSuccessAt)}`
                : "Nothing sent yet"
              : "Set LAGO_API_URL and LAGO_API_KEY: until then events wait in the queue, none is lost."}
          </p>
        </section>
        <section class="panel stat">
          <h2>SteVe API</h2>
          {state(
            o.steve.state === "ok",
            {
              ok: "Connected",
              not_configured: "Not configured",
              unreachable: "Unreachable",
              unauthorized: "Credentials refused",
              error: "Error",
            }[o.steve.state],
          )}
          <p class="muted small">
            {o.steve.state === "not_configured"
              ? "Set STEVE_API_URL, STEVE_API_USER and STEVE_API_PASSWORD for tag resolution and the sweep."
              : o.steve.lastError && o.steve.state !== "ok"
              ? o.steve.lastError
              : "Transactions resolve through SteVe's REST API."}
          </p>
        </section>
        <section class="panel stat">
          <h2>Queue</h2>
          <p class="big">{o.queue.pending}</p>
          <p class="muted small">
            pending ({o.queue.pendingKwh} kWh)
            {o.queue.oldestPendingAgeSeconds !== null &&
              `, oldest ${formatDuration(o.queue.oldestPendingAgeSeconds * 1000)}`}
          </p>
        </section>
        <section class="panel stat">
          <h2>Delivered</h2>
          <p class="big">{o.queue.deliveredLastMinute}</p>
          <p class="muted small">
            in the last minute · {o.queue.delivered} in all
          </p>
        </section>
      </div>

      <section class="panel">
        <h2>Unbillable events ({unbillable})</h2>
        <p class="muted">
          They wait and go out by themselves once the missing link is set. {o.unbillable.setAside}
          {" "}
          of them are set aside (status{" "}
          <code>unbillable</code>): the delivery no longer reads them until then.
        </p>
        <ul class="plain">
          <li>
            <strong>{o.unbillable.noTag}</strong>{" "}
            from sessions whose card is not known yet (SteVe's API fills it in)
          </li>
          <li>
            <strong>{o.unbillable.tagWithoutCustomer}</strong> from cards not linked to a customer —
            {" "}
            <a href="/admin/customers">link the card</a>
          </li>
          <li>
            <strong>{o.unbillable.customerWithoutSubscription}</strong>{" "}
            from customers without a Lago subscription — <a href="/admin/customers">set it</a>
          </li>
        </ul>
      </section>

      <section class="panel">
        <div class="section-head">
          <h2>
            Dead letters ({o.deadLetters}) and held corrections ({o.held})
          </h2>
          {o.deadLetters > 0 && (
            <form method="post" action="/admin/billing/retry" class="inline">
              <input type="hidden" name="_csrf" value={csrf} />
              <button type="submit" class="button small">
                Retry all dead letters
              </button>
            </form>
          )}
        </div>
        {o.problems.length === 0 ? <p class="muted">None.</p> : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Transaction</th>
                <th scope="col">kWh</th>
                <th scope="col">State</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {o.problems.map((p) => (
                <tr key={p.id}>
                  <td class="mono small">{p.eventId}</td>
                  <td>{p.transactionPk}</td>
                  <td>{p.kwh}</td>
                  <td>
                    {p.status === "dead" ? "dead letter" : "held (negative, not sent)"}
                  </td>
                  <td class="small">{p.reason ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section class="panel">
        <h2>Reconciliation sweeps</h2>
        {o.sweeps.length === 0 ? <p class="muted">No sweep has run yet.</p> : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Trigger</th>
                <th scope="col">Transactions</th>
                <th scope="col">Backfilled kWh</th>
                <th scope="col">Flagged</th>
                <th scope="col">Errors</th>
              </tr>
            </thead>
            <tbody>
              {o.sweeps.map((s) => (
                <tr key={s.id}>
                  <td>{formatDate(s.startedAt)}</td>
                  <td>{s.trigger}</td>
                  <td>{s.transactions}</td>
                  <td>{s.backfilledKwh}</td>
                  <td>{s.flagged}</td>
                  <td class="small">{s.errors ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </Page>
  );
}
