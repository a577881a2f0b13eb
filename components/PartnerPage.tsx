// One partner's admin page: settings, regenerate the secret, the inbound URL, deliveries out, its events.
import type { FormRefusal } from "../lib/errors.ts";
import type { AppContext } from "../lib/app_deps.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { renderPage } from "../lib/http/html.ts";
import {
  partnerEvents,
  type PartnerEventView,
  type PartnerView,
  requirePartner,
  toPartnerEventView,
  toPartnerView,
} from "../lib/partners.ts";
import {
  type PartnerDeliveriesPage,
  partnerDeliveriesPage,
} from "../lib/partner_deliveries/health.ts";
import type { PingResult } from "../lib/partner_deliveries/service.ts";
import { formatDate } from "./format.ts";
import { Page } from "./Page.tsx";
import { PartnerDeliveries } from "./PartnerDeliveries.tsx";
import { SecretDialog } from "./SecretDialog.tsx";
import { PartnerWebhookFields } from "./PartnerWebhookFields.tsx";

/** The answer to a rotation: the new secret, shown this once. */
export interface Rotated {
  secret: string;
  previousSecretValidUntil: string | null;
}

export interface PartnerPageProps {
  partner: PartnerView;
  events: PartnerEventView[];
  deliveries: PartnerDeliveriesPage;
  csrf: string;
  buildId: string;
  error?: string;
  rotated?: Rotated;
  ping?: PingResult;
  retried?: number;
}

/** Grace windows offered on the page (the API takes any 60–604800 seconds). */
const GRACE_CHOICES: Array<[seconds: number, label: string]> = [
  [3600, "1 hour"],
  [86_400, "1 day"],
  [604_800, "7 days"],
];

/** `/admin/partners/:id`. */
export function PartnerPage(
  { partner: p, events, deliveries, csrf, buildId, error, rotated, ping, retried }:
    PartnerPageProps,
) {
  const base = `/admin/partners/${p.id}`;
  return (
    <Page
      title={`${p.name} · Partners · ExpresSync`}
      adminNav="partners"
      csrf={csrf}
      wide
      islands={rotated !== undefined}
      buildId={buildId}
    >
      <p class="small">
        <a href="/admin/partners">← Partners</a>
      </p>
      <h1>{p.name}</h1>
      {error && <p class="alert" role="alert">{error}</p>}
      {rotated && (
        <SecretDialog
          title="New secret"
          secret={rotated.secret}
          inboundUrl={p.inboundUrl}
          signatureHeader={p.signatureHeader}
          pageUrl={base}
          previousSecretValidUntil={rotated.previousSecretValidUntil}
        />
      )}
      <section class="panel">
        <h2>Hand over</h2>
        <p>
          Inbound URL: <code class="mono" data-testid="inbound-url">{p.inboundUrl}</code>
        </p>
        <p class="small muted">
          Scheme <span class="mono">{p.signatureScheme}</span> in header{" "}
          <span class="mono">{p.signatureHeader}</span>; body JSON with{" "}
          <span class="mono">event_type</span> and <span class="mono">timestamp</span>{" "}
          (ISO-8601 with offset, within 5 minutes). Secret last rotated:{" "}
          {p.secretRotatedAt ? formatDate(p.secretRotatedAt) : "never"}.
          {p.previousSecretValidUntil &&
            ` Previous secret accepted until ${formatDate(p.previousSecretValidUntil)}.`}
        </p>
      </section>
      <div class="two-col">
        <form method="post" action={base} class="panel">
          <h2>Settings</h2>
          <input type="hidden" name="_csrf" value={csrf} />
          <label for="p-name">Name</label>
          <input id="p-name" name="name" value={p.name} required maxLength={200} />
          <label for="p-header">Signature header</label>
          <input
            id="p-header"
            name="signatureHeader"
            value={p.signatureHeader}
            required
            maxLength={64}
          />
          <label for="p-active">Status</label>
          <select id="p-active" name="active">
            <option value="true" selected={p.active}>Active: events accepted</option>
            <option value="false" selected={!p.active}>Inactive: events answered 410</option>
          </select>
          {p.deactivatedReason && <p class="warning">Deactivated: {p.deactivatedReason}</p>}
          <PartnerWebhookFields idPrefix="p" url={p.url} events={p.events} />
          <button type="submit" class="button">Save</button>
        </form>
        <form method="post" action={`${base}/secret`} class="panel">
          <h2>Regenerate secret</h2>
          <input type="hidden" name="_csrf" value={csrf} />
          <label class="choice">
            <input type="radio" name="mode" value="now" checked />
            <span>Rotate now: the old secret stops at once</span>
          </label>
          <label class="choice">
            <input type="radio" name="mode" value="grace" />
            <span>Grace window: the old secret is still accepted for</span>
          </label>
          <select name="graceSeconds" aria-label="Grace window">
            {GRACE_CHOICES.map(([s, label]) => <option key={s} value={String(s)}>{label}</option>)}
          </select>
          <button type="submit" class="button secondary">Regenerate</button>
        </form>
      </div>
      <PartnerDeliveries
        base={base}
        hasUrl={p.url !== null}
        csrf={csrf}
        page={deliveries}
        ping={ping}
        retried={retried}
      />
      <h2>Events in</h2>
      {events.length === 0
        ? <p class="empty">No events from this partner yet.</p>
        : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Type</th>
                <th scope="col">Event id</th>
                <th scope="col">Body</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td class="small">{formatDate(e.receivedAt)}</td>
                  <td class="mono">{e.eventType}</td>
                  <td class="mono small">{e.webhookEventId ?? "—"}</td>
                  <td>
                    <details>
                      <summary>Show</summary>
                      <pre class="mono small">{JSON.stringify(e.body, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Page>
  );
}

/** What a page action came to, shown on the page it answers with. */
export interface PartnerPageOutcome {
  refusal?: FormRefusal;
  rotated?: Rotated;
  ping?: PingResult;
  retried?: number;
}

/** Loads the partner (404 page when unknown) and renders its page. */
export async function partnerPageResponse(
  c: AppContext,
  outcome: PartnerPageOutcome = {},
): Promise<Response> {
  const deps = c.get("services").partners;
  const id = c.req.param("id");
  const partner = await requirePartner(deps, id);
  const [events, deliveries] = await Promise.all([
    partnerEvents(deps, partner.id),
    partnerDeliveriesPage(c.get("deps"), partner),
  ]);
  return renderPage(
    c,
    <PartnerPage
      partner={toPartnerView(deps, partner)}
      events={events.map(toPartnerEventView)}
      deliveries={deliveries}
      csrf={csrfToken(c)}
      buildId={c.get("services").buildId}
      error={outcome.refusal?.message}
      rotated={outcome.rotated}
      ping={outcome.ping}
      retried={outcome.retried}
    />,
    outcome.refusal?.status ?? 200,
  );
}
