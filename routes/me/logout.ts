// Ends the customer's session on the server, then back to the start page.
import type { Handlers } from "../../lib/app_deps.ts";
import { logoutCustomer } from "../../lib/http/web_sessions.ts";

export const handler: Handlers = {
  async POST(c) {
    await logoutCustomer(c);
    return c.redirect("/", 303);
  },
};
