// One message of the email outbox, readable: so mail waiting without a worker is still usable.
import type { EmailMessageDetail } from "../lib/email/service.ts";
import { formatDate } from "./format.ts";
import { Page } from "./Page.tsx";

export interface EmailMessagePageProps {
  message: EmailMessageDetail;
  csrf: string;
}

/**
 * `/admin/email/messages/:id`. Every field is text (Preact escapes it); the
 * HTML part, when there is one, is shown as its source, never rendered: a
 * message's markup never runs on an admin page.
 */
export function EmailMessagePage({ message: m, csrf }: EmailMessagePageProps) {
  return (
    <Page title="Email · ExpresSync" adminNav="email" csrf={csrf} wide>
      <p>
        <a href="/admin/email">← Email</a>
      </p>
      <h1 data-testid="email-subject">{m.subject}</h1>
      <dl class="facts">
        <dt>To</dt>
        <dd>{m.to}</dd>
        <dt>Id</dt>
        <dd class="mono small">{m.id}</dd>
        <dt>Status</dt>
        <dd>
          {m.status}
          {m.status === "pending" && m.nextAttemptAt &&
            ` · next attempt ${formatDate(m.nextAttemptAt)}`}
          {m.sentAt && ` · sent ${formatDate(m.sentAt)}`}
        </dd>
        <dt>Attempts</dt>
        <dd>
          {m.attempts}
          {m.lastStatus !== null && ` · last answer HTTP ${m.lastStatus}`}
        </dd>
        {m.lastError && (
          <>
            <dt>Last error</dt>
            <dd class="error-text">{m.lastError}</dd>
          </>
        )}
      </dl>
      {m.status === "failed" && (
        <form method="post" action="/admin/email/retry" class="inline">
          <input type="hidden" name="_csrf" value={csrf} />
          <input type="hidden" name="id" value={m.id} />
          <button type="submit" class="button small">Retry</button>
        </form>
      )}
      <section class="panel">
        <pre class="payload" data-testid="email-text">{m.text}</pre>
      </section>
      {m.html !== null && (
        <details>
          <summary class="muted small">HTML part (source, not rendered)</summary>
          <pre class="payload" data-testid="email-html">{m.html}</pre>
        </details>
      )}
    </Page>
  );
}
