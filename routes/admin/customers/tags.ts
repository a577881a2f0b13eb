// Admin: link a card to a customer, or unlink it (empty customer); form of the customers page.
import type { Handlers } from "../../../lib/app_deps.ts";
import { linkTag } from "../../../lib/customers.ts";
import { AppError, formRefusal } from "../../../lib/errors.ts";
import { customersPageResponse } from "../../../components/CustomersPage.tsx";

const LABELS = { idTag: "Card ID", customerId: "Customer" };

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      await linkTag(c.get("deps"), {
        // Pasted card ids often carry stray spaces; the API takes the path as sent.
        idTag: typeof form.idTag === "string" ? form.idTag.trim() : form.idTag,
        customerId: form.customerId === "" ? null : form.customerId,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return customersPageResponse(c, formRefusal(error, LABELS));
    }
    return c.redirect("/admin/customers", 303);
  },
};
