// Admin: every signed endpoint and the email worker's replies — keys, outcomes, failing or not.
import type { Handlers } from "../../../lib/app_deps.ts";
import { readHooksHealth } from "../../../lib/hook_health.ts";
import { describeHooks } from "../../../lib/hook_stats.ts";

export const handler: Handlers = {
  async GET(c) {
    const { config, hookStats, flags, db, clock } = c.get("deps");
    const health = await readHooksHealth({ db, clock, config });
    return c.json({
      hooks: describeHooks(config, hookStats).map((hook) => ({
        ...hook,
        ...health.hooks.find((h) => h.name === hook.name),
      })),
      storedSince: health.storedSince,
      silentSessions: health.silentSessions,
      preAuthorizeEnabled: flags.isEnabled("pre-authorize"),
    });
  },
};
