// Admin: link a tag (card) to a customer, or unlink it with null (the rule: lib/customers.ts).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { linkTag } from "../../../../lib/customers.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";

/** Any JSON object; `linkTag` checks its `customerId`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async PUT(c) {
    const body = await readJsonBody(c.req.raw, JsonObject);
    const tag = await linkTag(c.get("deps"), { ...body, idTag: c.req.param("idTag") });
    return c.json({ idTag: tag.idTag, customerId: tag.customerId });
  },
};
