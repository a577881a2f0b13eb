// Ends the admin's session on the server.
import type { Handlers } from "../../lib/app_deps.ts";
import { logoutAdmin } from "../../lib/admin_accounts.ts";
import { clearCookie } from "../../lib/http/cookies.ts";
import { ADMIN_SESSION_COOKIE, adminSessionToken } from "../../lib/http/web_sessions.ts";

export const handler: Handlers = {
  async POST(c) {
    const token = adminSessionToken(c);
    if (token) await logoutAdmin(c.get("deps").db, token);
    clearCookie(c, ADMIN_SESSION_COOKIE);
    return c.redirect("/admin/login", 303);
  },
};
