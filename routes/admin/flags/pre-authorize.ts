// The dashboard's pre-authorize switch (the same stored flag and rule as the admin API).
import type { Handlers } from "../../../lib/app_deps.ts";
import { switchPreAuthorize } from "../../../lib/flags.ts";

/** The form sends "true" or "false"; anything else reaches the rule as sent and is refused. */
const formBoolean = (value: unknown) => value === "true" ? true : value === "false" ? false : value;

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    await switchPreAuthorize(c.get("deps"), { enabled: formBoolean(form.enabled) });
    return c.redirect("/admin", 303);
  },
};
