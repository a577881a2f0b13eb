// Admin: the pre-authorize switch; stored, so it survives a restart (the rule: lib/flags.ts).
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { preAuthorizeFlag, switchPreAuthorize } from "../../../../lib/flags.ts";
import { readJsonBody } from "../../../../lib/http/json_body.ts";

/** Any JSON object; `switchPreAuthorize` checks its `enabled`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  GET: (c) => c.json(preAuthorizeFlag(c.get("deps").flags)),
  async PUT(c) {
    const body = await readJsonBody(c.req.raw, JsonObject);
    return c.json(await switchPreAuthorize(c.get("deps"), body));
  },
};
