// Admin: customers, their cards, create and edit (the rules: lib/customers.ts).
import type { Handlers } from "../../lib/app_deps.ts";
import { saveCustomer } from "../../lib/customers.ts";
import { AppError, formRefusal } from "../../lib/errors.ts";
import { customersPageResponse } from "../../components/CustomersPage.tsx";

const LABELS = {
  id: "Customer",
  name: "Name",
  email: "Email",
  lagoSubscriptionId: "Lago subscription ID",
};

/** An empty form field means "none": absent id, no email, no subscription. */
const orNull = (value: unknown) => value === "" || value === undefined ? null : value;

export const handler: Handlers = {
  GET: (c) => customersPageResponse(c),
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      await saveCustomer(c.get("deps"), {
        id: form.id === "" ? undefined : form.id,
        name: form.name,
        email: orNull(form.email),
        lagoSubscriptionId: orNull(form.lagoSubscriptionId),
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return customersPageResponse(c, formRefusal(error, LABELS));
    }
    return c.redirect("/admin/customers", 303);
  },
};
