// Admin: Hubject Plug&Charge events, newest first; `?needsAction=true` only those still open.
import { z } from "zod";
import type { Handlers } from "../../../../lib/app_deps.ts";
import { listPncEventViews } from "../../../../lib/pnc/events.ts";
import { parseWith } from "../../../../lib/validation.ts";

const Query = z.object({ needsAction: z.enum(["true", "false"]).optional() });

export const handler: Handlers = {
  async GET(c) {
    const query = parseWith(Query, { needsAction: c.req.query("needsAction") });
    const events = await listPncEventViews(c.get("services").pnc, {
      needsAction: query.needsAction === "true",
    });
    return c.json({ events });
  },
};
