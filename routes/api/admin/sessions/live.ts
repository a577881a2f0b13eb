// Admin: open sessions, and those ended in the last hour.
import type { Handlers } from "../../../../lib/app_deps.ts";
import { listLiveSessionViews } from "../../../../lib/live_sessions.ts";

export const handler: Handlers = {
  async GET(c) {
    const { db, clock } = c.get("deps");
    return c.json({ sessions: await listLiveSessionViews({ db, clock }) });
  },
};
