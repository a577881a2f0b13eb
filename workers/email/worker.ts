/**
 * The email worker (issue [4/5] section 1): `POST /send`, signed by the app
 * with `X-Polaris-Sig`. It is the one fail-closed caller of the HMAC webhook
 * contract (seed 001): a replayed send would be a second mail, so besides the
 * signature it checks a timestamp window, a nonce and the message id, and
 * nothing is sent unless every step passes, in this order:
 *
 * 1. body over 256 KiB → 413 `payload_too_large`; unreadable → 400 `invalid_body`
 * 2. no `X-Polaris-Sig`, or neither secret set → 401 `unauthorized`
 * 3. signature not 64 hex → 401; 4. matches neither A nor B → 401; verify throws → 500 `internal`
 * 5. not JSON → 400 `invalid_json`; wrong shape → 400 `invalid_body` with `field`
 * 6. `|now − ts| > 300` → 401 `stale`
 * 7. nonce seen in the last 10 minutes → 409 `replayed`
 * 8. id sent in the last 24 h → 200 `duplicate`; being sent by another
 *    request right now → 409 `in_flight` (see below)
 * 9. the provider: 2xx → 200 `sent`; 4xx → 422 `rejected`; 5xx, timeout, network → 502
 *
 * Runs unchanged on Cloudflare (wrangler bundles it) and in workerd through
 * miniflare (workers/email/local.ts). No Deno or Node API may be used here.
 */
import { verifyHex } from "../../lib/signatures/hex.ts";
import { readBoundedBytes } from "../../lib/http/bounded_read.ts";
import { askDedup, sha256Hex } from "./dedup.ts";
import type { EmailWorkerEnv } from "./env.ts";
import { providerTimeoutMs, sendThroughProvider } from "./provider.ts";
import { BODY_LIMIT_BYTES, parseSendRequest } from "./send_request.ts";

// workerd accepts only handlers and Durable Object classes as a worker's
// exports: constants stay module-private here.
export { EmailDedup } from "./dedup.ts";

/** How far `ts` may lie from the worker's clock, either way (seed 001: 5 minutes). */
const TIMESTAMP_WINDOW_S = 300;
/** A secret shorter than this counts as unset: the app refuses such keys too. */
const MIN_SECRET_CHARS = 32;
/**
 * How long a "being sent" claim outlives the provider's timeout before it
 * lapses. The provider call is bounded by that timeout, so this covers only
 * the object round trips around it; short, because a request cut off by a
 * restart holds the id (callers hear `in_flight`) until its claim lapses.
 * Should a live request ever outlast it, the provider's Idempotency-Key still
 * stops a second mail.
 */
const CLAIM_MARGIN_MS = 5_000;
const SIGNATURE_HEADER = "x-polaris-sig";

/** A JSON answer: `{"error": code, …}` for refusals, `{"status", "id"}` for 200s. */
function answer(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/**
 * One log line per request, JSON on stdout: the outcome and, once the body is
 * verified, the message id and a 12-hex SHA-256 prefix of `to`. Never the
 * address, subject, body, nonce or a secret.
 */
function logOutcome(outcome: string, fields: Record<string, unknown> = {}): void {
  const level = outcome === "sent" || outcome === "duplicate" ? "info" : "warning";
  console.log(JSON.stringify({ level, msg: "email send", outcome, ...fields }));
}

/** The secrets configured now, A first; too-short ones are left out. */
function configuredSecrets(env: EmailWorkerEnv): string[] {
  return [env.POLARIS_SECRET_A, env.POLARIS_SECRET_B]
    .filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_CHARS);
}

async function handleSend(request: Request, env: EmailWorkerEnv): Promise<Response> {
  // 1. The raw bytes, bounded before they are read.
  const body = await readBoundedBytes(request, BODY_LIMIT_BYTES);
  if (body === "too_large") {
    logOutcome("payload_too_large");
    return answer(413, { error: "payload_too_large" });
  }
  if (body === "unreadable") {
    logOutcome("invalid_body");
    return answer(400, { error: "invalid_body" });
  }

  // 2–4. Header and secrets present, 64 hex, a constant-time match with A or B.
  const secrets = configuredSecrets(env);
  let check;
  try {
    check = await verifyHex(request.headers.get(SIGNATURE_HEADER) ?? "", body, secrets, {});
  } catch {
    logOutcome("internal", { step: "verify" });
    return answer(500, { error: "internal" });
  }
  if (!check.ok) {
    logOutcome("unauthorized", { reason: check.reason });
    return answer(401, { error: "unauthorized" });
  }

  // 5. JSON of the contract's shape.
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    logOutcome("invalid_json");
    return answer(400, { error: "invalid_json" });
  }
  const parsed = parseSendRequest(json);
  if (!parsed.ok) {
    logOutcome("invalid_body", { field: parsed.problem.field });
    return answer(400, { error: "invalid_body", ...parsed.problem });
  }
  const mail = parsed.request;
  const logged = { id: mail.id, to: (await sha256Hex(mail.to)).slice(0, 12) };

  // 6. The timestamp window.
  if (Math.abs(Math.floor(Date.now() / 1000) - mail.ts) > TIMESTAMP_WINDOW_S) {
    logOutcome("stale", logged);
    return answer(401, { error: "stale" });
  }

  if (!env.EMAIL_API_URL || !env.EMAIL_API_KEY || !env.EMAIL_FROM) {
    // Checked before the nonce and the id are spent: the app's retry, once
    // the worker is configured, goes through.
    logOutcome("internal", { ...logged, step: "config", missing: missingProviderVars(env) });
    return answer(500, { error: "internal" });
  }
  const provider = {
    url: env.EMAIL_API_URL,
    apiKey: env.EMAIL_API_KEY,
    from: env.EMAIL_FROM,
    timeoutMs: providerTimeoutMs(env.EMAIL_API_TIMEOUT_MS),
  };

  // 7. The nonce, checked and recorded in one step of its Durable Object.
  const nonceHash = await sha256Hex(mail.nonce);
  const idHash = await sha256Hex(mail.id);
  const claim = crypto.randomUUID();
  let fresh, claimed;
  try {
    fresh = (await askDedup(env.EMAIL_NONCE_DEDUP, nonceHash, { op: "nonce", hash: nonceHash }))
      .ok;
    if (!fresh) {
      logOutcome("replayed", logged);
      return answer(409, { error: "replayed" });
    }
    // 8. The id, claimed in one step: sent means a duplicate, being sent means not now.
    claimed = await askDedup(env.EMAIL_NONCE_DEDUP, idHash, {
      op: "claim",
      id: mail.id,
      claim,
      leaseMs: provider.timeoutMs + CLAIM_MARGIN_MS,
    });
  } catch {
    logOutcome("internal", { ...logged, step: "dedup" });
    return answer(500, { error: "internal" });
  }
  if (claimed.held === "sent") {
    logOutcome("duplicate", logged);
    return answer(200, { status: "duplicate", id: mail.id });
  }
  if (!claimed.ok) {
    // Another request holds the id and has not finished. Answering "duplicate" here would
    // lose the mail if that request dies before the provider takes it (a deploy, an
    // eviction): its claim lapses, but the caller would already have marked it sent. So the
    // caller tries again shortly, and then gets "duplicate" or sends it itself.
    logOutcome("in_flight", logged);
    return answer(409, { error: "in_flight", id: mail.id });
  }

  // 9. The provider, then the claim settled: sent for 24 h, or freed for a retry.
  const outcome = await sendThroughProvider(provider, mail);
  try {
    if (outcome.kind === "sent") {
      await askDedup(env.EMAIL_NONCE_DEDUP, idHash, { op: "sent", id: mail.id });
    } else {
      await askDedup(env.EMAIL_NONCE_DEDUP, idHash, { op: "release", id: mail.id, claim });
    }
  } catch {
    // The claim lapses with its lease; the provider's Idempotency-Key still
    // keeps a retry within its window from mailing twice.
    logOutcome("dedup_settle_failed", logged);
  }
  switch (outcome.kind) {
    case "sent":
      logOutcome("sent", { ...logged, providerStatus: outcome.status });
      return answer(200, { status: "sent", id: mail.id });
    case "rejected":
      logOutcome("rejected", { ...logged, providerStatus: outcome.status });
      return answer(422, { error: "rejected", providerStatus: outcome.status });
    case "unavailable":
      logOutcome("provider_unavailable", {
        ...logged,
        cause: outcome.cause,
        providerStatus: outcome.status,
      });
      return answer(502, { error: "provider_unavailable" });
  }
}

function missingProviderVars(env: EmailWorkerEnv): string[] {
  return (["EMAIL_API_URL", "EMAIL_API_KEY", "EMAIL_FROM"] as const).filter((name) => !env[name]);
}

export default {
  async fetch(request: Request, env: EmailWorkerEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname !== "/send") return answer(404, { error: "not_found" });
    if (request.method !== "POST") {
      await request.body?.cancel().catch(() => {});
      const response = answer(405, { error: "method_not_allowed" });
      response.headers.set("allow", "POST");
      return response;
    }
    return await handleSend(request, env);
  },
};
