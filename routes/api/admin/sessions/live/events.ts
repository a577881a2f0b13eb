// SSE of every live session, for the admin dashboard and automation.
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { liveSessionStream } from "../../../../../lib/live_streams.ts";
import { requireAdminLogin } from "../../../../../lib/http/web_sessions.ts";

export const handler: Handlers = {
  async GET(c) {
    const login = await requireAdminLogin(c);
    return await liveSessionStream(c.get("deps"), {
      login,
      signal: c.req.raw.signal,
    });
  },
};
