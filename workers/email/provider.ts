/**
 * The email API the worker sends through, in Resend's shape: `POST
 * <EMAIL_API_URL>/emails`, `Authorization: Bearer <EMAIL_API_KEY>`, JSON
 * `{from, to, subject, text, html}`, and `Idempotency-Key: <message id>` so a
 * retry after a lost answer is not a second mail at the provider either.
 */

/** How long the provider may take to answer, unless `EMAIL_API_TIMEOUT_MS` says otherwise. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;

/** Where and as whom to send. */
export interface ProviderConfig {
  url: string;
  apiKey: string;
  from: string;
  timeoutMs: number;
}

/** One mail as the provider takes it (the sender comes from {@link ProviderConfig}). */
export interface OutgoingMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/**
 * What became of a send: `sent` (2xx), `rejected` (a 4xx that a retry would
 * not change) or `unavailable` (5xx, 408, 429, timeout, network error: a retry
 * may succeed).
 */
export type ProviderOutcome =
  | { kind: "sent"; status: number }
  | { kind: "rejected"; status: number }
  | { kind: "unavailable"; status?: number; cause: "status" | "timeout" | "network" };

/** 4xx that say "not now" rather than "never": the app's retry should get them. */
const TRANSIENT_4XX = new Set([408, 429]);

/** Posts `mail` to the provider and classifies its answer; never throws. */
export async function sendThroughProvider(
  config: ProviderConfig,
  mail: OutgoingMail,
): Promise<ProviderOutcome> {
  let response: Response;
  try {
    response = await fetch(`${config.url.replace(/\/+$/, "")}/emails`, {
      method: "POST",
      headers: {
        "authorization": `Bearer ${config.apiKey}`,
        "content-type": "application/json",
        "idempotency-key": mail.id,
      },
      body: JSON.stringify({
        from: config.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        ...(mail.html === undefined ? {} : { html: mail.html }),
      }),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error &&
      (error.name === "TimeoutError" || error.name === "AbortError");
    return { kind: "unavailable", cause: timedOut ? "timeout" : "network" };
  }
  // The answer's body may echo the address: never read, never logged.
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: "sent", status };
  if (status >= 400 && status < 500 && !TRANSIENT_4XX.has(status)) {
    return { kind: "rejected", status };
  }
  return { kind: "unavailable", status, cause: "status" };
}

/** `EMAIL_API_TIMEOUT_MS` as a positive integer, else the default. */
export function providerTimeoutMs(value: string | undefined): number {
  const ms = Number(value);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : DEFAULT_PROVIDER_TIMEOUT_MS;
}
