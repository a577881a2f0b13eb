// Admin: why hooks fail, without a shell (issue 15 §4) — the page of `GET /api/admin/hooks`.
import type { Handlers } from "../../lib/app_deps.ts";
import { readHooksHealth } from "../../lib/hook_health.ts";
import { describeHooks } from "../../lib/hook_stats.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { HooksPage } from "../../components/HooksPage.tsx";

export const handler: Handlers = {
  async GET(c) {
    const { config, hookStats, db, clock } = c.get("deps");
    const health = await readHooksHealth({ db, clock, config });
    const where = new Map(describeHooks(config, hookStats).map((h) => [h.name, h]));
    return renderPage(
      c,
      <HooksPage
        hooks={health.hooks.map((h) => ({
          ...h,
          path: where.get(h.name)?.path ?? null,
          header: where.get(h.name)?.header ?? "",
        }))}
        storedSince={health.storedSince}
        silentSessions={health.silentSessions}
        csrf={csrfToken(c)}
      />,
    );
  },
};
