// Admin: the pre-authorize switch; stored, so it survives a restart.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { readJsonBody } from "../../../../lib/json_body.ts";

const FlagBody = z.object({ enabled: z.boolean() });

export const handler: Handlers = {
  GET(c) {
    return c.json({
      name: "pre-authorize",
      enabled: c.get("deps").flags.isEnabled("pre-authorize"),
    });
  },
  async PUT(c) {
    const deps = c.get("deps");
    const { enabled } = await readJsonBody(c.req.raw, FlagBody);
    await deps.flags.set(deps, "pre-authorize", enabled);
    return c.json({ name: "pre-authorize", enabled });
  },
};
