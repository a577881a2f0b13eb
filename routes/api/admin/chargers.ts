// Admin: every known charger with its QR URL.
import type { Handlers } from "../../../lib/app_deps.ts";
import { listAllChargers, toChargerView } from "../../../lib/chargers.ts";

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("deps");
    const chargers = await listAllChargers(deps);
    return c.json({
      chargers: chargers.map((ch) => toChargerView(deps.config.publicBaseUrl, ch)),
    });
  },
};
