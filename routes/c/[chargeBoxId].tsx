// The page a charger's QR code opens: scan-to-login at that charger.
import type { Handlers } from "../../lib/app_deps.ts";
import { getChargerByQrToken } from "../../lib/chargers.ts";
import { renderPage } from "../../lib/http/html.ts";
import { Page } from "../../components/Page.tsx";
import { Island } from "../../components/Island.tsx";
import ScanToLogin from "../../islands/ScanToLogin.tsx";

export const handler: Handlers = {
  async GET(c) {
    const chargeBoxId = c.req.param("chargeBoxId")!;
    const token = c.req.query("k") ?? "";
    const charger = chargeBoxId.length <= 255 && token.length <= 512
      ? await getChargerByQrToken(c.get("deps").db, { chargeBoxId, token })
      : null;
    if (!charger) {
      return renderPage(
        c,
        <Page title="QR code not valid · ExpresSync">
          <section class="scan">
            <h1>This QR code doesn't work</h1>
            <p class="lead">
              It may have been replaced. Scan the code printed on the charger itself, or start
              charging with your card as usual.
            </p>
          </section>
        </Page>,
        404,
      );
    }
    const props = {
      chargeBoxId: charger.chargeBoxId,
      chargerName: charger.name ?? `Charger ${charger.chargeBoxId}`,
      token,
      ttlSeconds: c.get("deps").config.scanPairTtlSeconds,
    };
    return renderPage(
      c,
      <Page
        title={`Log in at ${props.chargerName} · ExpresSync`}
        islands
        buildId={c.get("services").buildId}
      >
        <Island name="ScanToLogin" component={ScanToLogin} props={props} />
      </Page>,
    );
  },
};
