// Admin page form: Retry one failed message (`id`) or, without it, all of them: the API's retry.
import type { Handlers } from "../../../lib/app_deps.ts";
import { retryEmails } from "../../../lib/email/service.ts";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    const input = typeof form.id === "string" ? { ids: [form.id] } : {};
    const retried = await retryEmails(c.get("deps").email.admin, input);
    return c.redirect(`/admin/email?retried=${retried}`, 303);
  },
};
