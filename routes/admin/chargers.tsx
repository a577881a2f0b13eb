// Admin: chargers with their QR codes, add/rename, rotate, and whether a scan-pair is armed.
import { z } from "zod";
import type { Handlers } from "../../lib/app_deps.ts";
import { chargerQrUrl, saveCharger } from "../../lib/chargers.ts";
import { csrfToken } from "../../lib/csrf.ts";
import { renderPage } from "../../lib/html.ts";
import { ocppIdentifier } from "../../lib/identifiers.ts";
import { qrSvg } from "../../lib/qr_codes.ts";
import { listChargers } from "../../db/queries/chargers.ts";
import { listActivePairs } from "../../db/queries/scan_pairs.ts";
import { Page } from "../../components/Page.tsx";

const ChargerForm = z.object({
  chargeBoxId: ocppIdentifier,
  name: z.string().trim().max(200).transform((s) => s || null),
});

async function chargersPage(
  c: Parameters<NonNullable<Handlers["GET"]>>[0],
  error?: string,
) {
  const { db, config, clock } = c.get("deps");
  const [chargers, pairs] = await Promise.all([
    listChargers(db),
    listActivePairs(db, clock.now()),
  ]);
  const csrf = csrfToken(c);
  const rows = await Promise.all(chargers.map(async (ch) => ({
    charger: ch,
    pair: pairs.get(ch.chargeBoxId),
    qrUrl: chargerQrUrl(config.publicBaseUrl, ch),
    svg: await qrSvg(chargerQrUrl(config.publicBaseUrl, ch)),
  })));
  return renderPage(
    c,
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
    </Page>,
    error ? 400 : 200,
  );
}

export const handler: Handlers = {
  GET: (c) => chargersPage(c),
  async POST(c) {
    const parsed = ChargerForm.safeParse(await c.req.parseBody());
    if (!parsed.success) {
      return chargersPage(
        c,
        "Enter a charge box ID of at most 255 characters.",
      );
    }
    const deps = c.get("deps");
    await saveCharger(deps, parsed.data);
    const { chargers } = deps;
    chargers.forget(parsed.data.chargeBoxId);
    return c.redirect("/admin/chargers", 303);
  },
};
