// Admin page form: put every dead-lettered usage event back in the queue.
import type { Handlers } from "../../../lib/app_deps.ts";
import { retryDeadLetters } from "../../../lib/billing/dead_letters.ts";

export const handler: Handlers = {
  async POST(c) {
    await retryDeadLetters(c.get("deps"), {});
    return c.redirect("/admin/billing", 303);
  },
};
