// Admin: new QR token for a charger; its printed code stops working (the rule: lib/chargers.ts).
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { rotateQrToken, toChargerView } from "../../../../../lib/chargers.ts";

export const handler: Handlers = {
  async POST(c) {
    const deps = c.get("deps");
    const charger = await rotateQrToken(deps, c.req.param("chargeBoxId"));
    return c.json(toChargerView(deps.config.publicBaseUrl, charger));
  },
};
