// Admin: test a partner's webhook URL with one signed ping, now (not queued, not retried).
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { pingPartner } from "../../../../../lib/partner_deliveries/service.ts";

export const handler: Handlers = {
  async POST(c) {
    return c.json(await pingPartner(c.get("deps").partnerDeliveries.admin, c.req.param("id")));
  },
};
