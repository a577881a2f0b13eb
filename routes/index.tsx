// Landing page: what this service is and where its hooks live.
import { renderToString } from "preact-render-to-string";
import type { Handlers } from "../lib/app_deps.ts";
import { Page } from "../components/Page.tsx";

function Home({ preAuthorizeEnabled }: { preAuthorizeEnabled: boolean }) {
  return (
    <Page title="ExpresSync">
      <h1>ExpresSync</h1>
      <p>
        Scan-to-login and live charging sessions beside SteVe. Scan the QR code on a charger to log
        in with your card.
      </p>
      <p>
        Away from a charger? <a href="/login">Sign in with a link by email</a>.
      </p>
      <p class="muted">
        Pre-authorize is {preAuthorizeEnabled ? "on" : "off"}.
      </p>
    </Page>
  );
}

export const handler: Handlers = {
  GET(c) {
    const enabled = c.get("deps").flags.isEnabled("pre-authorize");
    return c.html(
      "<!doctype html>" +
        renderToString(<Home preAuthorizeEnabled={enabled} />),
    );
  },
};
