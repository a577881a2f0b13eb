// Admin: one message of the email outbox, to read (subject, text, HTML source).
import type { Handlers } from "../../../../lib/app_deps.ts";
import { emailMessageDetail } from "../../../../lib/email/service.ts";
import { csrfToken } from "../../../../lib/http/csrf.ts";
import { renderPage } from "../../../../lib/http/html.ts";
import { EmailMessagePage } from "../../../../components/EmailMessagePage.tsx";

export const handler: Handlers = {
  async GET(c) {
    const message = await emailMessageDetail(c.get("deps").email.admin, c.req.param("id"));
    return renderPage(c, <EmailMessagePage message={message} csrf={csrfToken(c)} />);
  },
};
