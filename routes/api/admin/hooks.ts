// Admin: the state of SteVe's two hooks — keys, fingerprints, outcome counts.
import type { Handlers } from "../../../lib/app_deps.ts";
import { describeHooks } from "../../../lib/hook_stats.ts";

export const handler: Handlers = {
  GET(c) {
    const { config, hookStats, flags } = c.get("deps");
    return c.json({
      hooks: describeHooks(config, hookStats),
      preAuthorizeEnabled: flags.isEnabled("pre-authorize"),
    });
  },
};
