// Admin: new QR token for a charger; its printed code stops working.
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { rotateQrToken, toChargerView } from "../../../../../lib/chargers.ts";
import { AppError } from "../../../../../lib/errors.ts";
import { parseWith } from "../../../../../lib/json_body.ts";
import { ocppIdentifier } from "../../../../../lib/identifiers.ts";

export const handler: Handlers = {
  async POST(c) {
    const deps = c.get("deps");
    const charger = await rotateQrToken(
      deps,
      parseWith(ocppIdentifier, c.req.param("chargeBoxId")),
    );
    if (!charger) throw new AppError("not_found");
    return c.json(toChargerView(deps.config.publicBaseUrl, charger));
  },
};
