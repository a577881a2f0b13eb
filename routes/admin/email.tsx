// Admin: the email outbox — queued, sent and failed mail, why mail waits, Retry.
import type { Handlers } from "../../lib/app_deps.ts";
import { emailOverview } from "../../lib/email/service.ts";
import { csrfToken } from "../../lib/http/csrf.ts";
import { renderPage } from "../../lib/http/html.ts";
import { EmailPage } from "../../components/EmailPage.tsx";

export const handler: Handlers = {
  async GET(c) {
    const overview = await emailOverview(c.get("deps").email.admin, { failedFirst: true });
    // Where a Retry form lands: `?retried=n` says how many went again (digits only, else ignored).
    const retried = c.req.query("retried");
    return renderPage(
      c,
      <EmailPage
        overview={overview}
        csrf={csrfToken(c)}
        retried={/^[0-9]{1,6}$/.test(retried ?? "") ? Number(retried) : undefined}
      />,
    );
  },
};
