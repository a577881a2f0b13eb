// Admin: billing — Lago queue, dead letters, unbillable events, SteVe/Lago state, sweeps.
import type { Handlers } from "../../lib/app_deps.ts";
import { billingOverview } from "../../lib/billing/overview.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { BillingPage } from "../../components/BillingPage.tsx";

export const handler: Handlers = {
  async GET(c) {
    const overview = await billingOverview(c.get("deps"));
    return renderPage(c, <BillingPage overview={overview} csrf={csrfToken(c)} />);
  },
};
