// Admin: one charger — read, create or rename; answers its QR URL (the rules: lib/chargers.ts).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { findCharger, saveCharger, toChargerView } from "../../../../lib/chargers.ts";
import { AppError } from "../../../../lib/errors.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";

/** Any JSON object; `saveCharger` checks its `name`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async GET(c) {
    const { config } = c.get("deps");
    const charger = await findCharger(c.get("deps"), c.req.param("chargeBoxId"));
    if (!charger) throw new AppError("not_found");
    return c.json(toChargerView(config.publicBaseUrl, charger));
  },
  async PUT(c) {
    const deps = c.get("deps");
    const body = await readJsonBody(c.req.raw, JsonObject);
    const { charger, created } = await saveCharger(deps, {
      ...body,
      chargeBoxId: c.req.param("chargeBoxId"),
    });
    return c.json(toChargerView(deps.config.publicBaseUrl, charger), created ? 201 : 200);
  },
};
