// Admin: acknowledge a Plug&Charge event; again keeps the first time; 404 for an unknown id.
import type { Handlers } from "../../../../../../lib/app_deps.ts";
import { acknowledgePncEventById } from "../../../../../../lib/pnc/events.ts";

export const handler: Handlers = {
  async POST(c) {
    return c.json(await acknowledgePncEventById(c.get("services").pnc, c.req.param("id") ?? ""));
  },
};
