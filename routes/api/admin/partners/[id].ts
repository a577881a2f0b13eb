// Admin: read a partner, or change its name, signature header or active flag.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";
import { changePartner, requirePartner, toPartnerView } from "../../../../lib/partners.ts";

/** Any JSON object; its fields are checked by `changePartner`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("services").partners;
    return c.json(toPartnerView(deps, await requirePartner(deps, c.req.param("id"))));
  },
  async PUT(c) {
    const deps = c.get("services").partners;
    const body = await readJsonBody(c.req.raw, JsonObject);
    return c.json(toPartnerView(deps, await changePartner(deps, c.req.param("id"), body)));
  },
};
