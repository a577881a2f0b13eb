// Admin page form: Test connection, the API's ping; its answer shows on the partner's page.
import type { Handlers } from "../../../../lib/app_deps.ts";
import { AppError, formRefusal } from "../../../../lib/errors.ts";
import { pingPartner } from "../../../../lib/partner_deliveries/service.ts";
import { partnerPageResponse } from "../../../../components/PartnerPage.tsx";

const LABELS = { url: "Webhook URL" };

export const handler: Handlers = {
  async POST(c) {
    try {
      const ping = await pingPartner(c.get("deps").partnerDeliveries.admin, c.req.param("id"));
      return await partnerPageResponse(c, { ping });
    } catch (error) {
      if (!(error instanceof AppError) || error.code === "not_found") throw error;
      return partnerPageResponse(c, { refusal: formRefusal(error, LABELS) });
    }
  },
};
