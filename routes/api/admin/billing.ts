// Admin: queue depth, delivery, dead letters, unbillable events, SteVe/Lago state, sweeps.
import type { Handlers } from "../../../lib/app_deps.ts";
import { billingOverview } from "../../../lib/billing/overview.ts";

export const handler: Handlers = {
  async GET(c) {
    return c.json(await billingOverview(c.get("deps")));
  },
};
