// Admin: read, create or update a customer, and the Lago subscription it is billed to.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { findCustomer, saveCustomer, toCustomerView } from "../../../../lib/customers.ts";
import { AppError } from "../../../../lib/errors.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";
import { parseWith } from "../../../../lib/validation.ts";
import { customerId } from "../../../../lib/identifiers.ts";

/** Any JSON object; its fields are checked by `saveCustomer`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async GET(c) {
    const customer = await findCustomer(c.get("deps"), c.req.param("id"));
    if (!customer) throw new AppError("not_found");
    return c.json(toCustomerView(customer));
  },
  async PUT(c) {
    const id = parseWith(customerId, c.req.param("id"));
    const body = await readJsonBody(c.req.raw, JsonObject);
    const customer = await saveCustomer(c.get("deps"), { ...body, id });
    return c.json(toCustomerView(customer));
  },
};
