/**
 * Sends the email outbox through the Cloudflare email worker (issue 14 §2).
 * Several instances may run it: messages are claimed with a lease
 * (`SKIP LOCKED`), so no message is sent by two senders at once, and a
 * crashed sender's lease expires so nothing is stranded. Each attempt is
 * signed afresh — a new `ts` from the clock, a new random nonce, the same
 * `id` — because the worker refuses a stale `ts` and a nonce it has seen,
 * and mails one `id` at most once (seed 001: replay protection, fail-closed).
 */
import type { Database } from "../../db/client.ts";
import {
  type ClaimedEmail,
  claimEmailMessages,
  type EmailSettlement,
  setEmailContent,
  settleEmailMessage,
} from "../../db/queries/email_messages.ts";
import { exponentialBackoffMs, jittered } from "../backoff.ts";
import type { Clock } from "../clock.ts";
import { errorSummary, hashForLog, type Logger } from "../logging.ts";
import { type RoundLoop, startRoundLoop } from "../round_loop.ts";
import type { SendOnce, SendResult } from "../outbound/send.ts";
import { signHex } from "../signatures/mod.ts";
import { newToken } from "../tokens.ts";
import { renderFromData } from "./receipt.ts";

/** The worker's signature header (seed 001). */
export const SIGNATURE_HEADER = "X-Polaris-Sig";
/** One attempt: resolving, connecting, the headers and at most 64 KiB of the answer. */
export const EMAIL_SEND_TIMEOUT_MS = 10_000;
/** Bytes of the worker's answer read at most (its answers are small JSON). */
export const EMAIL_RESPONSE_READ_LIMIT = 64 * 1024;
export const EMAIL_BATCH_LIMIT = 20;
/** How long stopping the sender waits for the attempts in flight (shutdown has 4 s in all). */
export const EMAIL_STOP_WAIT_MS = 2_500;

/** Retries: 10 s doubling to at most 1 h, ±20 %; the mail is never given up on. */
export const RETRY_BASE_MS = 10_000;
export const RETRY_MAX_MS = 3_600_000;
export const RETRY_JITTER = 0.2;
/** A refused signature (or a URL that cannot be right) waits this long: a person must act. */
export const SLOW_RETRY_MS = 5 * 60_000;
/** A replayed nonce goes again soon, with a new nonce. */
export const REPLAYED_RETRY_MS = 2_000;

/** The page's words for a 401, by the worker's `error`. */
export const KEYS_DIFFER = "the worker refuses our signature: keys differ";
export const CLOCK_SKEW = "the worker refuses our signature: clock skew";
/** The page's words when no answer came (network error, timeout). */
export const WORKER_UNREACHABLE = "the email worker cannot be reached";
/** The page's words for the worker's 502: it is up, the email API behind it is not. */
export const PROVIDER_UNAVAILABLE = "the email API behind the worker is unavailable";

export interface EmailSenderDeps {
  db: Database;
  clock: Clock;
  send: SendOnce;
  /** `EMAIL_WORKER_URL` and `EMAIL_WORKER_HMAC_KEY`; unset: mail waits, nothing is claimed. */
  worker?: { url: string; hmacKey: string };
  /** Identifies this sender's leases (instance id). */
  owner: string;
  log: Logger;
  /** Longer than an attempt can take, else another sender could send the message too. */
  leaseMs: number;
  batchLimit?: number;
  random?: () => number;
  /**
   * The backoff of attempts that go again (timeouts, network errors, 5xx);
   * default {@link RETRY_BASE_MS} doubling to {@link RETRY_MAX_MS}. Tests of
   * a worker coming back shorten it rather than wait ten seconds.
   */
  retry?: RetryPolicy;
  /**
   * Counts each reply of the worker (issue 15 §4: the hook page shows them
   * beside the hooks that call us); `signingKey` is `current` when the worker
   * accepted our signature, '' when it refused it or did not answer.
   */
  recordReply?: (outcome: string, signingKey: "current" | "") => void;
}

/** Exponential backoff: `baseMs` doubling per failed attempt, at most `maxMs`. */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
}

export interface EmailRound {
  claimed: number;
  sent: number;
  failed: number;
  retried: number;
}

const encoder = new TextEncoder();

/**
 * The body and headers of one attempt at `now`: `{id, ts, nonce, to, subject,
 * text, html?}` signed with the key's UTF-8 bytes, lower-case hex HMAC-SHA256
 * of exactly these bytes.
 */
export async function signedEmailRequest(
  message: { id: string; to: string; subject: string; text: string; html: string | null },
  args: { hmacKey: string; now: Date; nonce?: string },
): Promise<{ body: Uint8Array<ArrayBuffer>; headers: Record<string, string> }> {
  const body = encoder.encode(JSON.stringify({
    id: message.id,
    ts: Math.floor(args.now.getTime() / 1000),
    // 18 random bytes: 24 URL-safe characters (the worker wants 16–128).
    nonce: args.nonce ?? newToken(18),
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === null ? {} : { html: message.html }),
  }));
  return {
    body,
    headers: {
      "content-type": "application/json",
      [SIGNATURE_HEADER]: await signHex(args.hmacKey, body),
    },
  };
}

/** The worker's JSON answer, if it is one: its `error`, `status` and `providerStatus`. */
function answerOf(body: Uint8Array | undefined): Record<string, unknown> {
  if (!body) return {};
  try {
    const json = JSON.parse(new TextDecoder().decode(body));
    return json && typeof json === "object" ? json : {};
  } catch {
    return {};
  }
}

/** A short word from the worker's answer, never more than 60 characters of it. */
const word = (value: unknown) =>
  typeof value === "string" ? value.replace(/[^\w.:-]/g, "").slice(0, 60) : "";

/**
 * How an attempt's result settles its message (the table of issue 14 §2):
 * 2xx sent; 401 slowly again (keys differ, or clock skew when `stale`); 409
 * (`replayed`, or `in_flight`: the worker is still sending it) again soon with a
 * new nonce; 422 failed with the provider's status;
 * 400/413 failed; 5xx, timeouts, network errors and anything else again
 * with backoff. Nothing but 400, 413 and 422 gives a message up.
 */
export function emailOutcomeOf(
  result: SendResult,
  args: { attemptsMade: number; now: Date; random?: () => number; retry?: RetryPolicy },
): { outcome: EmailSettlement; httpStatus: number | null } {
  const later = (ms: number) =>
    new Date(args.now.getTime() + jittered(ms, RETRY_JITTER, args.random));
  const again = (error: string, httpStatus: number | null, waitMs?: number) => ({
    outcome: {
      status: "pending",
      error,
      nextAttemptAt: later(
        waitMs ?? exponentialBackoffMs({
          attempts: args.attemptsMade,
          baseMs: args.retry?.baseMs ?? RETRY_BASE_MS,
          maxMs: args.retry?.maxMs ?? RETRY_MAX_MS,
          jitter: 0,
        }),
      ),
    } as EmailSettlement,
    httpStatus,
  });
  const failed = (error: string, httpStatus: number) => ({
    outcome: { status: "failed", error } as EmailSettlement,
    httpStatus,
  });
  switch (result.kind) {
    case "timeout":
      return again(`timeout after ${result.ms} ms: ${WORKER_UNREACHABLE}`, null);
    case "network":
      return again(`network: ${result.error}: ${WORKER_UNREACHABLE}`, null);
    case "blocked":
      return again(
        `blocked_destination: ${result.detail}; fix EMAIL_WORKER_URL`,
        null,
        SLOW_RETRY_MS,
      );
  }
  const status = result.status;
  const answer = answerOf(result.body);
  if (status >= 200 && status < 300) return { outcome: { status: "sent" }, httpStatus: status };
  if (status === 401) {
    return answer.error === "stale"
      ? again(`HTTP 401 stale: ${CLOCK_SKEW} (more than 5 minutes apart)`, status, SLOW_RETRY_MS)
      : again(
        `HTTP 401 unauthorized: ${KEYS_DIFFER} (EMAIL_WORKER_HMAC_KEY is neither ` +
          "POLARIS_SECRET_A nor POLARIS_SECRET_B)",
        status,
        SLOW_RETRY_MS,
      );
  }
  if (status === 409) {
    return answer.error === "in_flight"
      ? again(
        "HTTP 409 in_flight: another attempt of this message is still being sent by the " +
          "worker; asked again shortly",
        status,
        REPLAYED_RETRY_MS,
      )
      : again("HTTP 409 replayed: sent again with a new nonce", status, REPLAYED_RETRY_MS);
  }
  if (status === 422) {
    const provider = typeof answer.providerStatus === "number"
      ? ` (provider status ${answer.providerStatus})`
      : "";
    return failed(`HTTP 422 rejected by the email provider${provider}`, status);
  }
  if (status === 400 || status === 413) {
    const detail = [word(answer.error), word(answer.field)].filter(Boolean).join(" ");
    return failed(
      `HTTP ${status}${detail ? ` ${detail}` : ""}: the worker refuses the message`,
      status,
    );
  }
  if (status >= 300 && status < 400) {
    return again(
      `HTTP ${status}: EMAIL_WORKER_URL redirects, and redirects are not followed`,
      status,
      SLOW_RETRY_MS,
    );
  }
  const error = word(answer.error);
  const why = status === 502 && error === "provider_unavailable" ? `: ${PROVIDER_UNAVAILABLE}` : "";
  return again(`HTTP ${status}${error ? ` ${error}` : ""}${why}`, status);
}

/**
 * A reply of the worker as the hook page counts it: `ok` (2xx), its 401s by
 * cause as our own hooks name theirs (`unauthorized:mismatch`, keys differ;
 * `unauthorized:stale`, clock skew), `timeout`, `unreachable`,
 * `blocked_destination`, else the HTTP status (`409`, `422`, `502`, …).
 */
export function emailReplyOutcome(result: SendResult): string {
  switch (result.kind) {
    case "timeout":
      return "timeout";
    case "network":
      return "unreachable";
    case "blocked":
      return "blocked_destination";
  }
  if (result.status >= 200 && result.status < 300) return "ok";
  if (result.status === 401) {
    return answerOf(result.body).error === "stale" ? "unauthorized:stale" : "unauthorized:mismatch";
  }
  return String(result.status);
}

/** The subject and text to send: stored, or (a receipt born in SQL, first claim) rendered and stored now. */
async function contentOf(
  deps: EmailSenderDeps,
  m: ClaimedEmail,
): Promise<{ subject: string; text: string; html: string | null }> {
  if (m.subject !== null && m.text !== null) {
    return { subject: m.subject, text: m.text, html: m.html };
  }
  const rendered = renderFromData(m.purpose, m.dataJson!);
  if (!rendered) throw new Error(`no content for a ${m.purpose} message`);
  await setEmailContent(deps.db, { id: m.id, ...rendered, html: null });
  return { ...rendered, html: null };
}

/** One attempt of one claimed message, settled. */
async function attempt(
  deps: EmailSenderDeps,
  worker: { url: string; hmacKey: string },
  m: ClaimedEmail,
): Promise<EmailSettlement> {
  const content = await contentOf(deps, m);
  const { body, headers } = await signedEmailRequest(
    { id: m.id, to: m.to, ...content },
    { hmacKey: worker.hmacKey, now: deps.clock.now() },
  );
  const result = await deps.send({ url: `${worker.url}/send`, headers, body });
  const reply = emailReplyOutcome(result);
  deps.recordReply?.(
    reply,
    result.kind === "response" && !reply.startsWith("unauthorized:") ? "current" : "",
  );
  const now = deps.clock.now();
  const settled = emailOutcomeOf(result, {
    attemptsMade: m.attempts + 1,
    now,
    random: deps.random,
    retry: deps.retry,
  });
  await settleEmailMessage(deps.db, {
    id: m.id,
    owner: deps.owner,
    now,
    httpStatus: settled.httpStatus,
    outcome: settled.outcome,
  });
  // Never the address, subject or body: a hash of the recipient correlates a complaint.
  deps.log.info("email attempt", {
    to: hashForLog(m.to),
    purpose: m.purpose,
    outcome: settled.outcome.status,
    httpStatus: settled.httpStatus,
    kind: result.kind,
    attempt: m.attempts + 1,
  });
  return settled.outcome;
}

/** Claims one batch and makes one attempt of each message, side by side. Without a worker, claims nothing. */
export async function sendEmailRound(deps: EmailSenderDeps): Promise<EmailRound> {
  const round = { claimed: 0, sent: 0, failed: 0, retried: 0 };
  const worker = deps.worker;
  if (!worker) return round;
  const now = deps.clock.now();
  const claimed = await claimEmailMessages(deps.db, {
    owner: deps.owner,
    now,
    leaseUntil: new Date(now.getTime() + deps.leaseMs),
    limit: deps.batchLimit ?? EMAIL_BATCH_LIMIT,
  });
  round.claimed = claimed.length;
  const outcomes = await Promise.allSettled(claimed.map((m) => attempt(deps, worker, m)));
  for (const o of outcomes) {
    if (o.status === "rejected") {
      // The lease stays until it expires; the message goes again then.
      deps.log.error("email attempt broke", { error: errorSummary(o.reason) });
      round.retried++;
    } else if (o.value.status === "sent") round.sent++;
    else if (o.value.status === "failed") round.failed++;
    else round.retried++;
  }
  return round;
}

/**
 * Runs {@link sendEmailRound} until stopped: back to back while there is
 * work, else every `idleMs`. Without a worker configured it does not run.
 * Stopping waits for the round in flight at most {@link EMAIL_STOP_WAIT_MS}:
 * an attempt still in flight then is left to its lease and sent again after
 * it (the worker's id dedup mails it once).
 */
export function startEmailSender(
  deps: EmailSenderDeps,
  options: { idleMs?: number } = {},
): RoundLoop {
  if (!deps.worker) return { stop: () => Promise.resolve() };
  return startRoundLoop({
    round: async () => (await sendEmailRound(deps)).claimed > 0,
    onError: (error) => deps.log.error("email sender round failed", { error: errorSummary(error) }),
    idleMs: options.idleMs ?? 500,
    stopWaitMs: EMAIL_STOP_WAIT_MS,
  });
}
