/**
 * Email as the app runs it: the sender (started by `start()`, so tests drive
 * rounds themselves), and what the admin API and page ask of the outbox: the
 * queue in numbers, the messages, one message to read, and a retry.
 */
import { z } from "zod";
import type { Database } from "../../db/client.ts";
import {
  type EmailListItem,
  type EmailPurpose,
  emailQueueSummary,
  type EmailStatus,
  getEmailMessage,
  listEmailMessages,
  retryFailedEmailMessages,
} from "../../db/queries/email_messages.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import { logger } from "../logging.ts";
import { type SendOnce, sendOnce } from "../outbound/send.ts";
import { parseWith } from "../validation.ts";
import { renderFromData } from "./receipt.ts";
import {
  CLOCK_SKEW,
  EMAIL_RESPONSE_READ_LIMIT,
  EMAIL_SEND_TIMEOUT_MS,
  type EmailSenderDeps,
  KEYS_DIFFER,
  PROVIDER_UNAVAILABLE,
  startEmailSender,
  WORKER_UNREACHABLE,
} from "./sender.ts";

/** How many messages the API and the page list at most (the newest; the page puts failed first). */
export const MESSAGES_SHOWN = 200;
/** The window of `sentLastHour`. */
const SENT_WINDOW_MS = 3600_000;

export interface Email {
  sender: EmailSenderDeps;
  admin: EmailAdminDeps;
  /** Starts the sender loop (a no-op without a worker); the returned function stops it. */
  start(options?: { idleMs?: number }): () => Promise<void>;
}

export interface EmailAdminDeps {
  db: Database;
  clock: Clock;
  /** Whether `EMAIL_WORKER_URL` is set (the page says why mail waits when not). */
  workerConfigured: boolean;
}

/**
 * Builds the sender and admin deps. `send` defaults to lib/outbound/send.ts
 * with local addresses allowed (the operator sets the URL; the worker may
 * run on loopback in workerd), redirects never followed, the answer kept up
 * to 64 KiB (its `error` says why a 401), 10 s per attempt.
 */
export function createEmail(
  deps: {
    config: Config;
    db: Database;
    clock: Clock;
    instanceId: string;
    send?: SendOnce;
    /** Counts the worker's replies (the hook page's `EmailWorker`). */
    recordReply?: EmailSenderDeps["recordReply"];
  },
): Email {
  const send = deps.send ?? ((request) =>
    sendOnce(request, {
      allowLocal: true,
      timeoutMs: EMAIL_SEND_TIMEOUT_MS,
      maxResponseBytes: EMAIL_RESPONSE_READ_LIMIT,
      keepBody: true,
    }));
  const sender: EmailSenderDeps = {
    db: deps.db,
    clock: deps.clock,
    send,
    worker: deps.config.emailWorker,
    owner: deps.instanceId,
    log: logger("Email"),
    // As the partner worker: three timeouts and a margin, so the lease outlives any attempt.
    leaseMs: 3 * EMAIL_SEND_TIMEOUT_MS + 5_000,
    recordReply: deps.recordReply,
  };
  return {
    sender,
    admin: { db: deps.db, clock: deps.clock, workerConfigured: !!deps.config.emailWorker },
    start(options = {}) {
      const running = startEmailSender(sender, options);
      return () => running.stop();
    },
  };
}

/** A message as `GET /api/admin/email` lists it. */
export interface EmailMessageView {
  id: string;
  purpose: EmailPurpose;
  to: string;
  subject: string;
  status: EmailStatus;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** A message as its own page shows it: the list's fields, the content, the next attempt. */
export interface EmailMessageDetail extends EmailMessageView {
  text: string;
  html: string | null;
  lastStatus: number | null;
  nextAttemptAt: string | null;
}

/** The subject (and text) of a row: stored, or rendered from its data (a receipt not yet claimed). */
function contentOf(row: { purpose: string; subject: string | null; dataJson: string | null }) {
  if (row.subject !== null || row.dataJson === null) return null;
  return renderFromData(row.purpose, row.dataJson);
}

function toView(row: EmailListItem): EmailMessageView {
  return {
    id: row.id,
    purpose: row.purpose,
    to: row.to,
    subject: row.subject ?? contentOf(row)?.subject ?? "",
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
  };
}

/** Why mail is not going out, in the page's words; null when nothing stands in its way. */
export type SenderProblem =
  | { kind: "not_configured"; message: string }
  | {
    kind: "keys_differ" | "clock_skew" | "worker_unreachable" | "provider_unavailable";
    message: string;
    /** The attempt that says so (the newest of all). */
    at: string;
  };

/** The queue, the newest messages, and what keeps mail from going out. */
export interface EmailOverview {
  queue: { pending: number; failed: number; sentLastHour: number };
  messages: EmailMessageView[];
  problem: SenderProblem | null;
}

const NOT_CONFIGURED = "EMAIL_WORKER_URL is not set: mail waits here, nothing is lost. " +
  "Set EMAIL_WORKER_URL and EMAIL_WORKER_HMAC_KEY and restart; the waiting mail goes out then.";

const RETRIES_BY_ITSELF = "Mail waits and goes again by itself (10 s, doubling to at most " +
  "1 hour); each message is sent once when it goes through.";

/** What the newest attempt says stands in the way of all mail, if anything. */
function attemptProblem(
  last: { status: number | null; error: string | null; at: Date },
): SenderProblem | null {
  const at = last.at.toISOString();
  const error = last.error ?? "";
  if (last.status === 401) {
    const skew = error.includes(CLOCK_SKEW);
    return {
      kind: skew ? "clock_skew" : "keys_differ",
      message: skew
        ? `${CLOCK_SKEW}: this server's clock and the worker's differ by more than 5 minutes. ` +
          "Fix the clock (NTP); mail goes again every few minutes meanwhile."
        : `${KEYS_DIFFER}: EMAIL_WORKER_HMAC_KEY equals neither POLARIS_SECRET_A nor ` +
          "POLARIS_SECRET_B on the worker. Set them equal; mail goes again every few minutes.",
      at,
    };
  }
  if (error.includes(WORKER_UNREACHABLE)) {
    return {
      kind: "worker_unreachable",
      message: `${WORKER_UNREACHABLE} at EMAIL_WORKER_URL (no answer: ` +
        `${error.replace(`: ${WORKER_UNREACHABLE}`, "")}). Check that it runs and that ` +
        `EMAIL_WORKER_URL points at it. ${RETRIES_BY_ITSELF}`,
      at,
    };
  }
  if (error.includes(PROVIDER_UNAVAILABLE)) {
    return {
      kind: "provider_unavailable",
      message: `${PROVIDER_UNAVAILABLE}: the worker answers 502 (the provider failed, timed ` +
        `out or cannot be reached; see the worker's log). ${RETRIES_BY_ITSELF}`,
      at,
    };
  }
  return null;
}

/** What `GET /api/admin/email` answers (`problem` aside) and the page shows. */
export async function emailOverview(
  deps: Pick<EmailAdminDeps, "db" | "clock" | "workerConfigured">,
  options: { failedFirst?: boolean } = {},
): Promise<EmailOverview> {
  const now = deps.clock.now().getTime();
  const [summary, rows] = await Promise.all([
    emailQueueSummary(deps.db, { sentSince: new Date(now - SENT_WINDOW_MS) }),
    listEmailMessages(deps.db, { limit: MESSAGES_SHOWN, failedFirst: options.failedFirst }),
  ]);
  let problem: SenderProblem | null = null;
  const last = summary.lastAttempt;
  if (!deps.workerConfigured) problem = { kind: "not_configured", message: NOT_CONFIGURED };
  else if (last) problem = attemptProblem(last);
  // The words are shared with lastError (lower case there, mid-sentence); the banner is a sentence.
  if (problem) problem.message = problem.message[0].toUpperCase() + problem.message.slice(1);
  return {
    queue: { pending: summary.pending, failed: summary.failed, sentLastHour: summary.sentSince },
    messages: rows.map(toView),
    problem,
  };
}

const MessageId = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters");

/** One message with its content; `not_found` when there is none with this id. */
export async function emailMessageDetail(
  deps: Pick<EmailAdminDeps, "db">,
  id: unknown,
): Promise<EmailMessageDetail> {
  const row = await getEmailMessage(deps.db, parseWith(MessageId, id));
  if (!row) throw new AppError("not_found");
  const rendered = contentOf(row);
  return {
    ...toView(row),
    text: row.text ?? rendered?.text ?? "",
    html: row.html,
    lastStatus: row.lastStatus,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
  };
}

const RetryInput = z.object({
  ids: z.array(MessageId, "must be a list of message ids")
    .max(1000, "must list at most 1000 ids").optional(),
});

/** Failed messages (`ids`, else all of them) go again now; answers how many. */
export async function retryEmails(
  deps: Pick<EmailAdminDeps, "db" | "clock">,
  input: unknown,
): Promise<number> {
  const { ids } = parseWith(RetryInput, input ?? {});
  return await retryFailedEmailMessages(deps.db, { ids, now: deps.clock.now() });
}
