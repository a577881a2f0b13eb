// Admin page form: Retry one failed delivery (`id`) or, without it, all of them: the API's retry.
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { AppError, formRefusal } from "../../../../../lib/errors.ts";
import { retryPartnerDeliveries } from "../../../../../lib/partner_deliveries/service.ts";
import { partnerPageResponse } from "../../../../../components/PartnerPage.tsx";

const LABELS = { ids: "Delivery", "ids.0": "Delivery" };

/** A delivery id in digits becomes a number; anything else goes to the rules as is (and is refused). */
const deliveryId = (value: unknown) =>
  typeof value === "string" && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    const id = c.req.param("id");
    try {
      const input = form.id === undefined ? {} : { ids: [deliveryId(form.id)] };
      const retried = await retryPartnerDeliveries(
        c.get("deps").partnerDeliveries.admin,
        id,
        input,
      );
      return c.redirect(`/admin/partners/${id}?retried=${retried}#deliveries`, 303);
    } catch (error) {
      if (!(error instanceof AppError) || error.code === "not_found") throw error;
      return partnerPageResponse(c, { refusal: formRefusal(error, LABELS) });
    }
  },
};
