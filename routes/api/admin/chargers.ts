// Admin: every known charger with its QR URL.
import type { Handlers } from "../../../lib/app_deps.ts";
import { toChargerView } from "../../../lib/chargers.ts";
import { listChargers } from "../../../db/queries/chargers.ts";

export const handler: Handlers = {
  async GET(c) {
    const { db, config } = c.get("deps");
    const chargers = await listChargers(db);
    return c.json({
      chargers: chargers.map((ch) => toChargerView(config.publicBaseUrl, ch)),
    });
  },
};
