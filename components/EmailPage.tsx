// The admin email page: the outbox in numbers, why mail waits, the messages (failed first), Retry.
import { RetriedNotice, Stat } from "./Stats.tsx";
import type { EmailMessageView, EmailOverview } from "../lib/email/service.ts";
import { formatDate } from "./format.ts";
import { Page } from "./Page.tsx";

export interface EmailPageProps {
  /** The same queue and messages as `GET /api/admin/email`, failed first, and what blocks mail. */
  overview: EmailOverview;
  csrf: string;
  /** How many messages a Retry just queued again. */
  retried?: number;
}

const STATUS_BADGE = { failed: "badge badge-warn", pending: "badge", sent: "badge badge-live" };
const PURPOSE = { sign_in: "Sign-in link", receipt: "Receipt", alert: "Alert" };

/** `/admin/email`: its Retry forms post to /admin/email/retry, then come back here. */
export function EmailPage({ overview, csrf, retried }: EmailPageProps) {
  const { queue, messages, problem } = overview;
  const csrfField = <input type="hidden" name="_csrf" value={csrf} />;
  return (
    <Page title="Email · ExpresSync" adminNav="email" csrf={csrf} wide>
      <div class="section-head">
        <h1>Email</h1>
        <form method="post" action="/admin/email/retry" class="inline">
          {csrfField}
          <button type="submit" class="button secondary small" disabled={queue.failed === 0}>
            Retry all failed
          </button>
        </form>
      </div>
      <p class="muted">
        Mail goes out through the email worker (<span class="mono">EMAIL_WORKER_URL</span>), signed
        with{" "}
        <span class="mono">EMAIL_WORKER_HMAC_KEY</span>. Each message is sent once; one that cannot
        go yet waits here and goes again by itself.
      </p>
      {problem && (
        <p class="alert" role="alert" data-testid="email-problem" data-kind={problem.kind}>
          {problem.message}
        </p>
      )}
      <RetriedNotice count={retried} one="message" many="messages" />
      <div class="stat-grid">
        <Stat title="Waiting" value={queue.pending} testid="queue-pending" />
        <Stat title="Failed" value={queue.failed} testid="queue-failed" />
        <Stat title="Sent, last hour" value={queue.sentLastHour} testid="queue-sent" />
      </div>
      <section class="panel">
        {messages.length === 0 ? <p class="empty">No mail yet.</p> : (
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Kind</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Sent</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {messages.map((m) => <MessageRow key={m.id} message={m} csrf={csrf} />)}
            </tbody>
          </table>
        )}
      </section>
    </Page>
  );
}

function MessageRow({ message: m, csrf }: { message: EmailMessageView; csrf: string }) {
  return (
    <tr data-testid={`email-${m.id}`} data-status={m.status}>
      <td class="small when">{formatDate(m.createdAt)}</td>
      <td class="small">{PURPOSE[m.purpose]}</td>
      <td class="small">{m.to}</td>
      <td>
        <a href={`/admin/email/messages/${encodeURIComponent(m.id)}`}>{m.subject}</a>
      </td>
      <td>
        <span class={STATUS_BADGE[m.status]}>{m.status}</span>
      </td>
      <td>{m.attempts}</td>
      <td class="small error-text">{m.lastError ?? "—"}</td>
      <td class="small when">{m.sentAt ? formatDate(m.sentAt) : "—"}</td>
      <td>
        {m.status === "failed" && (
          <form method="post" action="/admin/email/retry" class="inline">
            <input type="hidden" name="_csrf" value={csrf} />
            <input type="hidden" name="id" value={m.id} />
            <button type="submit" class="button small" aria-label={`Retry ${m.id}`}>
              Retry
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
