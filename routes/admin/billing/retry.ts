// Admin page form: put every dead-lettered usage event back in the queue.
import type { Handlers } from "../../../lib/app_deps.ts";
import { retryDeadEvents } from "../../../db/queries/usage_events.ts";

export const handler: Handlers = {
  async POST(c) {
    const { db, clock } = c.get("deps");
    await retryDeadEvents(db, { now: clock.now() });
    return c.redirect("/admin/billing", 303);
  },
};
