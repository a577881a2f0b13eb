// Admin: failed mail goes again now (the given ids, else all).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { retryEmails } from "../../../../lib/email/service.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";

/** Any JSON object; `retryEmails` checks its `ids`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async POST(c) {
    const body = await readJsonBody(c.req.raw, JsonObject);
    return c.json({ retried: await retryEmails(c.get("deps").email.admin, body) });
  },
};
