// Admin: link a tag (card) to a customer, or unlink it with null.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { invalidBody } from "../../../../lib/errors.ts";
import { parseWith, readJsonBody } from "../../../../lib/json_body.ts";
import { customerId, ocppIdentifier } from "../../../../lib/identifiers.ts";
import { getCustomer, upsertTag } from "../../../../db/queries/customers.ts";

const TagBody = z.object({ customerId: customerId.nullable() });

export const handler: Handlers = {
  async PUT(c) {
    const { db, clock } = c.get("deps");
    const idTag = parseWith(ocppIdentifier, c.req.param("idTag"));
    const body = await readJsonBody(c.req.raw, TagBody);
    if (body.customerId !== null && !await getCustomer(db, body.customerId)) {
      throw invalidBody("customerId", "no such customer");
    }
    const tag = await upsertTag(db, { idTag, customerId: body.customerId, now: clock.now() });
    return c.json({ idTag: tag.idTag, customerId: tag.customerId });
  },
};
