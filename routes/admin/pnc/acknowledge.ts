// Admin page form: acknowledge one Plug&Charge event, then back to the list.
import type { Handlers } from "../../../lib/app_deps.ts";
import { acknowledgePncEventById } from "../../../lib/pnc/events.ts";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    await acknowledgePncEventById(c.get("services").pnc, String(form.id ?? ""));
    return c.redirect("/admin/pnc", 303);
  },
};
