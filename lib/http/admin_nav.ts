/**
 * What the admin navigation shows besides its links: how many Plug&Charge
 * events need action, how many partners have deliveries failing for more
 * than 24 hours, and a banner naming the hooks failing now (issue 15 §4). Counted once per admin page request, before its handler, and
 * handed to the nav through a Preact context so no page has to pass them on.
 */
import { createContext } from "preact";
import type { AppContext } from "../app_deps.ts";
import { countPncEventsNeedingAction } from "../pnc/events.ts";
import { countPartnersWithFailingDeliveries } from "../partner_deliveries/health.ts";
import { isPublicAdminPage } from "./admin_auth.ts";
import { failingHooks } from "../hook_health.ts";

/** The nav's counts; null when not counted (public pages, error pages, a failed count). */
export interface AdminNavCounts {
  pncNeedsAction: number | null;
  partnersFailing: number | null;
  /** Names of the hooks failing now (lib/hook_health.ts); empty: no banner. */
  hooksFailing: string[] | null;
}

/** Provided by `renderPage` from the request; read by components/Page.tsx's AdminNav. */
export const AdminNavContext = createContext<AdminNavCounts>({
  pncNeedsAction: null,
  partnersFailing: null,
  hooksFailing: null,
});

/**
 * Counts for the nav of a logged-in admin's page (after `requireAdminPage`).
 * Each is one count on a partial index (open events; undelivered deliveries):
 * cheap enough for every page.
 */
export function adminNavCounts() {
  return async (c: AppContext, next: () => Promise<void>) => {
    // Only pages that render the nav count; a form post redirects and renders nothing.
    if (c.req.method === "GET" && !isPublicAdminPage(c.req.path)) {
      const deps = c.get("deps");
      // A badge is not worth a failed page: without its count the nav shows none.
      const [pncNeedsAction, partnersFailing, hooksFailing] = await Promise.all([
        countPncEventsNeedingAction(deps).catch(() => null),
        countPartnersWithFailingDeliveries(deps).catch(() => null),
        // One grouped read of the last five minutes on the bucket index.
        failingHooks(deps.db, deps.clock.now()).catch(() => null),
      ]);
      c.set("adminNav", { pncNeedsAction, partnersFailing, hooksFailing });
    }
    await next();
  };
}
