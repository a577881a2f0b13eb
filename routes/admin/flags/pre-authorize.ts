// The dashboard's pre-authorize switch (the same stored flag as the admin API).
import type { Handlers } from "../../../lib/app_deps.ts";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    const { db, flags } = c.get("deps");
    await flags.set(db, "pre-authorize", form.enabled === "true");
    return c.redirect("/admin", 303);
  },
};
