// Admin: create or update a customer, and the Lago subscription it is billed to.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { AppError } from "../../../../lib/errors.ts";
import { customerId } from "../../../../lib/identifiers.ts";
import { parseWith, readJsonBody } from "../../../../lib/json_body.ts";
import { type Customer, getCustomer, upsertCustomer } from "../../../../db/queries/customers.ts";

const CustomerBody = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).nullable().optional(),
  /** Lago `external_subscription_id`; omitted keeps the stored one. */
  lagoSubscriptionId: z.string().trim().min(1).max(255).nullable().optional(),
});

const view = (c: Customer) => ({
  id: c.id,
  name: c.name,
  email: c.email,
  lagoSubscriptionId: c.lagoSubscriptionId,
});

export const handler: Handlers = {
  async GET(c) {
    const customer = await getCustomer(
      c.get("deps").db,
      parseWith(customerId, c.req.param("id")),
    );
    if (!customer) throw new AppError("not_found");
    return c.json(view(customer));
  },
  async PUT(c) {
    const id = parseWith(customerId, c.req.param("id"));
    const body = await readJsonBody(c.req.raw, CustomerBody);
    const customer = await upsertCustomer(c.get("deps").db, {
      id,
      name: body.name,
      email: body.email ?? null,
      lagoSubscriptionId: body.lagoSubscriptionId,
      now: c.get("deps").clock.now(),
    });
    return c.json(view(customer));
  },
};
