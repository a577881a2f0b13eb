// Admin: a partner's signed events, newest first (its audit trail).
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { partnerEvents, toPartnerEventView } from "../../../../../lib/partners.ts";

export const handler: Handlers = {
  async GET(c) {
    const events = await partnerEvents(c.get("services").partners, c.req.param("id"));
    return c.json({ events: events.map(toPartnerEventView) });
  },
};
