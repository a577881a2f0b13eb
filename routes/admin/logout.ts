// Ends the admin's session on the server.
import { deleteCookie } from "hono/cookie";
import type { Handlers } from "../../lib/app_deps.ts";
import { logoutAdmin } from "../../lib/admin_accounts.ts";
import { ADMIN_SESSION_COOKIE, adminSessionToken } from "../../lib/http/web_sessions.ts";

export const handler: Handlers = {
  async POST(c) {
    const token = adminSessionToken(c);
    if (token) await logoutAdmin(c.get("deps").db, token);
    deleteCookie(c, ADMIN_SESSION_COOKIE, { path: "/" });
    return c.redirect("/admin/login", 303);
  },
};
