// Admin: create or update a customer.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { AppError } from "../../../../lib/errors.ts";
import { customerId } from "../../../../lib/identifiers.ts";
import { parseWith, readJsonBody } from "../../../../lib/json_body.ts";
import {
  getCustomer,
  upsertCustomer,
} from "../../../../db/queries/customers.ts";

const CustomerBody = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(320).nullable().optional(),
});

const view = (c: { id: string; name: string; email: string | null }) => ({
  id: c.id,
  name: c.name,
  email: c.email,
});

export const handler: Handlers = {
  async GET(c) {
    const customer = await getCustomer(
      c.get("deps").db,
      parseWith(customerId, c.req.param("id")),
    );
    if (!customer) throw new AppError(404, "not_found");
    return c.json(view(customer));
  },
  async PUT(c) {
    const id = parseWith(customerId, c.req.param("id"));
    const body = await readJsonBody(c.req.raw, CustomerBody);
    const customer = await upsertCustomer(c.get("deps").db, {
      id,
      name: body.name,
      email: body.email ?? null,
    });
    return c.json(view(customer));
  },
};
