/**
 * Guards the admin API: the `ADMIN_API_TOKEN` bearer (automation) or an
 * admin's browser session. With neither, every call is 401.
 */
import type { AppContext } from "./app_deps.ts";
import { requireAdminLogin } from "./web_sessions.ts";

export function requireAdmin() {
  return async (c: AppContext, next: () => Promise<void>) => {
    await requireAdminLogin(c);
    await next();
  };
}
