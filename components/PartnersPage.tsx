// The admin partners page: the partners, and the form that creates one.
import type { FormRefusal } from "../lib/errors.ts";
import type { AppContext } from "../lib/app_deps.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { renderPage } from "../lib/http/html.ts";
import { listAllPartners, type PartnerView, toPartnerView } from "../lib/partners.ts";
import { partnersWithFailingDeliveries } from "../lib/partner_deliveries/health.ts";
import { Page } from "./Page.tsx";
import { SecretDialog } from "./SecretDialog.tsx";
import { PartnerWebhookFields } from "./PartnerWebhookFields.tsx";

/** A partner just created: its view and the secret shown this once. */
export interface CreatedPartner {
  partner: PartnerView;
  secret: string;
}

export interface PartnersPageProps {
  partners: PartnerView[];
  /** Partners with deliveries failing for more than 24 h. */
  failing?: Set<string>;
  csrf: string;
  buildId: string;
  error?: string;
  created?: CreatedPartner;
}

/** `/admin/partners`. */
export function PartnersPage(
  { partners, failing, csrf, buildId, error, created }: PartnersPageProps,
) {
  return (
    <Page
      title="Partners · ExpresSync"
      adminNav="partners"
      csrf={csrf}
      wide
      islands={created !== undefined}
      buildId={buildId}
    >
      <h1>Partners</h1>
      {error && <p class="alert" role="alert">{error}</p>}
      {created && (
        <SecretDialog
          title={`Partner “${created.partner.name}” created`}
          secret={created.secret}
          inboundUrl={created.partner.inboundUrl}
          signatureHeader={created.partner.signatureHeader}
          pageUrl="/admin/partners"
        />
      )}
      <form method="post" action="/admin/partners" class="panel">
        <h2>New partner</h2>
        <input type="hidden" name="_csrf" value={csrf} />
        <label for="new-name">Name</label>
        <input id="new-name" name="name" required maxLength={200} />
        <label for="new-scheme">Signature scheme</label>
        <select id="new-scheme" name="signatureScheme">
          <option value="sha256">sha256 — sha256=&lt;hex&gt; over the body</option>
          <option value="timestamped">timestamped — t=&lt;time&gt;,v1=&lt;hex&gt;</option>
        </select>
        <label for="new-header">Signature header</label>
        <input
          id="new-header"
          name="signatureHeader"
          maxLength={64}
          placeholder="X-ExpresSync-Signature"
        />
        <PartnerWebhookFields idPrefix="new" />
        <button type="submit" class="button">Create partner</button>
      </form>
      {partners.length === 0 ? <p class="empty">No partners yet.</p> : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Partner</th>
              <th scope="col">Signature</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {partners.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={`/admin/partners/${p.id}`}>
                    <strong>{p.name}</strong>
                  </a>
                  <div class="muted small mono">{p.id}</div>
                </td>
                <td>
                  <span class="mono">{p.signatureHeader}</span>
                  <div class="muted small">{p.signatureScheme}</div>
                </td>
                <td>
                  {p.active
                    ? <span class="badge badge-live">active</span>
                    : <span class="badge">inactive</span>}
                  {failing?.has(p.id) && (
                    <div>
                      <a class="badge badge-warn" href={`/admin/partners/${p.id}#deliveries`}>
                        deliveries failing &gt; 24 h
                      </a>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

/** Loads the partners and renders the page: 200, or the refusal's status and message. */
export async function partnersPageResponse(
  c: AppContext,
  outcome: { refusal?: FormRefusal; created?: CreatedPartner } = {},
): Promise<Response> {
  const deps = c.get("services").partners;
  const [all, failing] = await Promise.all([
    listAllPartners(deps),
    // A hint, not worth a failed page: without it no partner is marked.
    partnersWithFailingDeliveries(c.get("deps")).catch(() => new Set<string>()),
  ]);
  const partners = all.map((p) => toPartnerView(deps, p));
  return renderPage(
    c,
    <PartnersPage
      partners={partners}
      failing={failing}
      csrf={csrfToken(c)}
      buildId={c.get("services").buildId}
      error={outcome.refusal?.message}
      created={outcome.created}
    />,
    outcome.refusal?.status ?? 200,
  );
}
