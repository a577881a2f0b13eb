// Admin: a partner's outbound deliveries, newest first, optionally of one status.
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { partnerDeliveryViews } from "../../../../../lib/partner_deliveries/service.ts";

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("deps").partnerDeliveries.admin;
    const deliveries = await partnerDeliveryViews(deps, c.req.param("id"), c.req.query("status"));
    return c.json({ deliveries });
  },
};
