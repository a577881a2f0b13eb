// Admin: put dead-lettered usage events back in the queue (all, or the given ids).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { readJsonBody } from "../../../../lib/json_body.ts";
import { retryDeadEvents } from "../../../../db/queries/usage_events.ts";

const RetryBody = z.object({
  ids: z.array(z.number().int().positive()).max(1000).optional(),
});

export const handler: Handlers = {
  async POST(c) {
    const { ids } = await readJsonBody(c.req.raw, RetryBody);
    const { db, clock } = c.get("deps");
    return c.json({
      retried: await retryDeadEvents(db, { ids, now: clock.now() }),
    });
  },
};
