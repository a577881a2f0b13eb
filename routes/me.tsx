// The customer's page: their live session, recent sessions, log out.
import type { Handlers } from "../lib/app_deps.ts";
import { csrfToken } from "../lib/http/csrf.ts";
import { renderPage } from "../lib/http/html.ts";
import { listLiveSessionViews, listRecentSessionViews } from "../lib/live_sessions.ts";
import { currentCustomer } from "../lib/http/web_sessions.ts";
import { Island } from "../components/Island.tsx";
import { Page } from "../components/Page.tsx";
import { RecentSessions } from "../components/RecentSessions.tsx";
import MySessions from "../islands/MySessions.tsx";

export const handler: Handlers = {
  async GET(c) {
    const customer = await currentCustomer(c);
    if (!customer) {
      return renderPage(
        c,
        <Page title="ExpresSync">
          <section class="scan">
            <h1>You're not logged in</h1>
            <p class="lead">
              Scan the QR code on a charger and tap your charging card to log in.
            </p>
            <p>
              Not at a charger? <a href="/login">Get a sign-in link by email</a>.
            </p>
          </section>
        </Page>,
        401,
      );
    }
    const deps = c.get("deps");
    const [live, recent] = await Promise.all([
      listLiveSessionViews(deps, { customerId: customer.id }),
      listRecentSessionViews(deps, { customerId: customer.id, limit: 10 }),
    ]);
    return renderPage(
      c,
      <Page
        title="My charging · ExpresSync"
        islands
        buildId={c.get("services").buildId}
      >
        <header class="me-head">
          <h1>Hello, {customer.name}</h1>
          <form method="post" action="/me/logout">
            <input type="hidden" name="_csrf" value={csrfToken(c)} />
            <button type="submit" class="button secondary small">
              Log out
            </button>
          </form>
        </header>
        <Island
          name="MySessions"
          component={MySessions}
          props={{ sessions: live }}
        />
        <RecentSessions sessions={recent} />
      </Page>,
    );
  },
};
