// Admin: run one reconciliation sweep now and answer its record.
import type { Handlers } from "../../../../lib/app_deps.ts";

export const handler: Handlers = {
  async POST(c) {
    return c.json(await c.get("deps").billing.sweepNow("admin"));
  },
};
