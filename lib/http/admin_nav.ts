/**
 * What the admin navigation shows besides its links: how many Plug&Charge
 * events need action. Counted once per admin page request, before its handler,
 * and handed to the nav through a Preact context so no page has to pass it on.
 */
import { createContext } from "preact";
import type { AppContext } from "../app_deps.ts";
import { countPncEventsNeedingAction } from "../pnc/events.ts";
import { isPublicAdminPage } from "./admin_auth.ts";

/** The nav's counts; null when not counted (public pages, error pages). */
export interface AdminNavCounts {
  pncNeedsAction: number | null;
}

/** Provided by `renderPage` from the request; read by components/Page.tsx's AdminNav. */
export const AdminNavContext = createContext<AdminNavCounts>({ pncNeedsAction: null });

/**
 * Counts for the nav of a logged-in admin's page (after `requireAdminPage`).
 * One count on the partial index of open events: cheap enough for every page.
 */
export function adminNavCounts() {
  return async (c: AppContext, next: () => Promise<void>) => {
    // Only pages that render the nav count; a form post redirects and renders nothing.
    if (c.req.method === "GET" && !isPublicAdminPage(c.req.path)) {
      // A badge is not worth a failed page: without the count the nav shows none.
      const pncNeedsAction = await countPncEventsNeedingAction(c.get("deps")).catch(() => null);
      c.set("adminNav", { pncNeedsAction });
    }
    await next();
  };
}
