// Admin: Hubject Plug&Charge events, those needing action first (the rules: lib/pnc/events.ts).
import type { Handlers } from "../../lib/app_deps.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { listPncEventViews } from "../../lib/pnc/events.ts";
import { PncPage } from "../../components/PncPage.tsx";

export const handler: Handlers = {
  async GET(c) {
    const events = await listPncEventViews(c.get("services").pnc, { openFirst: true });
    return renderPage(c, <PncPage events={events} csrf={csrfToken(c)} />);
  },
};
