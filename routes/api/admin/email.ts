// Admin: the email outbox — the queue in numbers and the newest messages.
import type { Handlers } from "../../../lib/app_deps.ts";
import { emailOverview } from "../../../lib/email/service.ts";

export const handler: Handlers = {
  async GET(c) {
    const { queue, messages } = await emailOverview(c.get("deps").email.admin);
    return c.json({ queue, messages });
  },
};
