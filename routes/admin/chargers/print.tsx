// Print view: one QR code per page with the charger's name.
import type { Handlers } from "../../../lib/app_deps.ts";
import { chargerQrUrl, listAllChargers } from "../../../lib/chargers.ts";
import { renderPage } from "../../../lib/http/html.ts";
import { qrSvg } from "../../../lib/qr_codes.ts";
import { Page } from "../../../components/Page.tsx";

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("deps");
    const { config } = deps;
    const only = c.req.query("id");
    const chargers = (await listAllChargers(deps)).filter((ch) => !only || ch.chargeBoxId === only);
    const sheets = await Promise.all(
      chargers.map(async (ch) => ({
        ch,
        svg: await qrSvg(chargerQrUrl(config.publicBaseUrl, ch)),
      })),
    );
    return renderPage(
      c,
      <Page title="QR codes · ExpresSync">
        <p class="no-print">
          <a href="/admin/chargers">← Chargers</a>{" "}
          · Use your browser's print command; each code prints on its own page.
        </p>
        {sheets.map(({ ch, svg }) => (
          <section class="print-sheet" key={ch.chargeBoxId}>
            <h1>{ch.name ?? ch.chargeBoxId}</h1>
            <div class="print-qr" dangerouslySetInnerHTML={{ __html: svg }} />
            <p class="print-hint">Scan to log in with your charging card</p>
            <p class="mono small">{ch.chargeBoxId}</p>
          </section>
        ))}
      </Page>,
    );
  },
};
