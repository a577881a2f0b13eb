// The dashboard's pre-authorize switch (the same stored flag as the admin API).
import type { Handlers } from "../../../lib/app_deps.ts";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    const deps = c.get("deps");
    await deps.flags.set(deps, "pre-authorize", form.enabled === "true");
    return c.redirect("/admin", 303);
  },
};
