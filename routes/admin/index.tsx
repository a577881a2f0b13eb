// Admin dashboard: live sessions and the pre-authorize switch.
import type { Handlers } from "../../lib/app_deps.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { listLiveSessionViews } from "../../lib/live_sessions.ts";
import { Island } from "../../components/Island.tsx";
import { Page } from "../../components/Page.tsx";
import SessionBoard from "../../islands/SessionBoard.tsx";

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("deps");
    const csrf = csrfToken(c);
    const enabled = deps.flags.isEnabled("pre-authorize");
    const sessions = await listLiveSessionViews(deps);
    return renderPage(
      c,
      <Page
        title="Live sessions · ExpresSync"
        adminNav="dashboard"
        csrf={csrf}
        islands
        buildId={c.get("services").buildId}
        wide
      >
        <Island
          name="SessionBoard"
          component={SessionBoard}
          props={{ sessions }}
        />
        <section class="panel switch-panel" aria-labelledby="preauth-title">
          <div>
            <h2 id="preauth-title">Scan-to-login</h2>
            <p class="muted">
              Pre-authorize is{" "}
              <strong class={enabled ? "on" : "off"}>
                {enabled ? "on" : "off"}
              </strong>.
              {enabled
                ? " A card tapped after a QR scan logs the customer in instead of starting the charger."
                : " SteVe's calls are answered 503 and chargers decide as usual."}
            </p>
          </div>
          <form method="post" action="/admin/flags/pre-authorize">
            <input type="hidden" name="_csrf" value={csrf} />
            <input
              type="hidden"
              name="enabled"
              value={enabled ? "false" : "true"}
            />
            <button
              type="submit"
              class={enabled ? "button secondary" : "button"}
            >
              {enabled ? "Turn off" : "Turn on"}
            </button>
          </form>
        </section>
      </Page>,
    );
  },
};
