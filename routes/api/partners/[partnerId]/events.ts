// A partner's signed event: verified with the partner's own terms, deduplicated, stored.
import type { Handlers } from "../../../../lib/app_deps.ts";
import { receivePartnerEvent } from "../../../../lib/partner_events.ts";

export const handler: Handlers = {
  async POST(c) {
    const services = c.get("services");
    const answer = await receivePartnerEvent(
      services.partnerEvents,
      c.req.param("partnerId"),
      c.req.raw,
    );
    c.set("outcome", answer.status === "processed" ? "ok" : "duplicate");
    return c.json(answer);
  },
};
