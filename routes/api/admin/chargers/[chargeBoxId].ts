// Admin: one charger — read, create or rename; answers its QR URL.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { saveCharger, toChargerView } from "../../../../lib/chargers.ts";
import { AppError } from "../../../../lib/errors.ts";
import { parseWith, readJsonBody } from "../../../../lib/json_body.ts";
import { ocppIdentifier } from "../../../../lib/identifiers.ts";
import { getCharger } from "../../../../db/queries/chargers.ts";

const ChargerBody = z.object({
  name: z.string().trim().min(1).max(200).nullable(),
});

export const handler: Handlers = {
  async GET(c) {
    const { db, config } = c.get("deps");
    const charger = await getCharger(
      db,
      parseWith(ocppIdentifier, c.req.param("chargeBoxId")),
    );
    if (!charger) throw new AppError("not_found");
    return c.json(toChargerView(config.publicBaseUrl, charger));
  },
  async PUT(c) {
    const deps = c.get("deps");
    const { config, chargers } = deps;
    const chargeBoxId = parseWith(ocppIdentifier, c.req.param("chargeBoxId"));
    const { name } = await readJsonBody(c.req.raw, ChargerBody);
    const { charger, created } = await saveCharger(deps, { chargeBoxId, name });
    chargers.forget(chargeBoxId);
    return c.json(
      toChargerView(config.publicBaseUrl, charger),
      created ? 201 : 200,
    );
  },
};
