// Admin page form: run one reconciliation sweep now (as `POST /api/admin/billing/sweep`).
import type { Handlers } from "../../../lib/app_deps.ts";

export const handler: Handlers = {
  async POST(c) {
    await c.get("deps").billing.sweepNow("admin");
    return c.redirect("/admin/billing", 303);
  },
};
