// SSE of the logged-in customer's own sessions, and nobody else's.
import type { Handlers } from "../../../lib/app_deps.ts";
import { liveSessionStream } from "../../../lib/live_streams.ts";
import { requireCustomerLogin } from "../../../lib/http/web_sessions.ts";

export const handler: Handlers = {
  async GET(c) {
    const login = await requireCustomerLogin(c);
    return await liveSessionStream(c.get("deps"), {
      login,
      signal: c.req.raw.signal,
    });
  },
};
