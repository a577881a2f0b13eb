// The admin chargers page: QR codes, add/rename, rotate, and whether a scan-pair is armed.
import type { FormRefusal } from "../lib/errors.ts";
import type { AppContext } from "../lib/app_deps.ts";
import { type Charger, chargerQrUrl, listChargersWithPairs } from "../lib/chargers.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { renderPage } from "../lib/http/html.ts";
import { qrSvg } from "../lib/qr_codes.ts";
import { Page } from "./Page.tsx";

export interface ChargerRow {
  charger: Charger;
  /** The charger's active scan-pair, if one is armed or matched. */
  pair?: { status: string };
  qrUrl: string;
  /** The QR code of `qrUrl`, as inline SVG. */
  svg: string;
}

export interface ChargersPageProps {
  rows: ChargerRow[];
  csrf: string;
  /** Why the last form was refused, shown above the forms. */
  error?: string;
}

/** `/admin/chargers`: its forms post back to routes that render this again on a refusal. */
export function ChargersPage({ rows, csrf, error }: ChargersPageProps) {
  const chargers = rows.map((r) => r.charger);
  return (
    <Page title="Chargers · ExpresSync" adminNav="chargers" csrf={csrf} wide>
      <div class="section-head">
        <h1>Chargers</h1>
        {chargers.length > 0 && (
          <a class="button secondary" href="/admin/chargers/print">
            Print all QR codes
          </a>
        )}
      </div>
      {error && <p class="alert" role="alert">{error}</p>}
      <form method="post" action="/admin/chargers" class="panel inline-form">
        <input type="hidden" name="_csrf" value={csrf} />
        <div>
          <label for="new-id">Charge box ID</label>
          <input
            id="new-id"
            name="chargeBoxId"
            required
            maxLength={255}
            placeholder="as in SteVe"
          />
        </div>
        <div>
          <label for="new-name">Name</label>
          <input
            id="new-name"
            name="name"
            maxLength={200}
            placeholder="Bay 1, car park level 2"
          />
        </div>
        <button type="submit" class="button">Add or rename</button>
      </form>
      {rows.length === 0
        ? (
          <p class="empty">
            No chargers yet. Add one, or let SteVe's first hook call add it.
          </p>
        )
        : (
          <div class="card-grid">
            {rows.map(({ charger, pair, svg, qrUrl }) => (
              <article class="charger-card" key={charger.chargeBoxId}>
                <div
                  class="qr"
                  dangerouslySetInnerHTML={{ __html: svg }}
                  role="img"
                  aria-label={`QR code for ${charger.name ?? charger.chargeBoxId}`}
                />
                <div class="charger-info">
                  <h3>{charger.name ?? <span class="muted">Unnamed</span>}</h3>
                  <p class="mono small">{charger.chargeBoxId}</p>
                  <p>
                    {pair
                      ? (
                        <span class="badge badge-live">
                          Scan-pair {pair.status}
                        </span>
                      )
                      : <span class="badge">No scan-pair armed</span>}
                  </p>
                  <form method="post" action="/admin/chargers" class="rename">
                    <input type="hidden" name="_csrf" value={csrf} />
                    <input
                      type="hidden"
                      name="chargeBoxId"
                      value={charger.chargeBoxId}
                    />
                    <label
                      for={`name-${charger.chargeBoxId}`}
                      class="visually-hidden"
                    >
                      Name
                    </label>
                    <input
                      id={`name-${charger.chargeBoxId}`}
                      name="name"
                      value={charger.name ?? ""}
                      maxLength={200}
                    />
                    <button type="submit" class="button secondary small">
                      Rename
                    </button>
                  </form>
                  <div class="actions">
                    <a
                      href={`/admin/chargers/print?id=${encodeURIComponent(charger.chargeBoxId)}`}
                    >
                      Print
                    </a>
                    <a href={qrUrl} class="muted small">Open link</a>
                    <form
                      method="post"
                      action="/admin/chargers/rotate"
                      class="inline"
                    >
                      <input type="hidden" name="_csrf" value={csrf} />
                      <input
                        type="hidden"
                        name="chargeBoxId"
                        value={charger.chargeBoxId}
                      />
                      <button type="submit" class="link danger">
                        Rotate QR code
                      </button>
                    </form>
                  </div>
                </div>
              </article>
            ))}
          </div>
        )}
    </Page>
  );
}

/**
 * Loads the chargers with their QR codes and armed pairs and renders the page:
 * 200, or `status` with `error` after a refused form.
 */
export async function chargersPageResponse(
  c: AppContext,
  refusal?: FormRefusal,
): Promise<Response> {
  const deps = c.get("deps");
  const rows = await Promise.all(
    (await listChargersWithPairs(deps)).map(async ({ charger, pair }) => {
      const qrUrl = chargerQrUrl(deps.config.publicBaseUrl, charger);
      return { charger, pair, qrUrl, svg: await qrSvg(qrUrl) };
    }),
  );
  return renderPage(
    c,
    <ChargersPage rows={rows} csrf={csrfToken(c)} error={refusal?.message} />,
    refusal?.status ?? 200,
  );
}
