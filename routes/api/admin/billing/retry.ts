// Admin: put dead-lettered usage events back in the queue (all, or the given ids).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { retryDeadLetters } from "../../../../lib/billing/dead_letters.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";

/** Any JSON object; `retryDeadLetters` checks its `ids`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async POST(c) {
    const body = await readJsonBody(c.req.raw, JsonObject);
    return c.json(await retryDeadLetters(c.get("deps"), body));
  },
};
