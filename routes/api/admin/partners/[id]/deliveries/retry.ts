// Admin: a partner's failed deliveries go again now (the given ids, else all).
import { z } from "zod";
import type { Handlers } from "../../../../../../lib/app_deps.ts";
import { readJsonBody } from "../../../../../../lib/http/json_body.ts";
import { retryPartnerDeliveries } from "../../../../../../lib/partner_deliveries/service.ts";

/** Any JSON object; `retryPartnerDeliveries` checks its `ids`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async POST(c) {
    const deps = c.get("deps").partnerDeliveries.admin;
    const body = await readJsonBody(c.req.raw, JsonObject);
    return c.json({ retried: await retryPartnerDeliveries(deps, c.req.param("id"), body) });
  },
};
