/**
 * Sends usage events to Lago's `POST /api/v1/events/batch` through
 * `lago-javascript-client`, and sorts the answer into what the worker does
 * next. A batch is all-or-nothing: on 422 Lago stored nothing and lists its
 * errors by index.
 */
import { Client } from "lago-javascript-client";

export interface LagoEvent {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  /** Unix seconds. */
  timestamp: number;
  properties: Record<string, string>;
}

export type BatchOutcome =
  /** Stored, every event. */
  | { kind: "stored" }
  /** 422: per index, why that event was refused (others were refused only with it). */
  | { kind: "refused"; errors: Map<number, string> }
  /** Worth retrying later: network, timeout, 5xx, 429, 401/403 (credentials may be fixed). */
  | { kind: "retry"; reason: string; retryAfterMs?: number }
  /** Any other 4xx: the request itself is wrong. */
  | { kind: "rejected"; status: number; reason: string };

export interface LagoSender {
  sendBatch(events: LagoEvent[]): Promise<BatchOutcome>;
}

/** Lago's answer to a `transaction_id` it already has (self-hosted storage): already delivered. */
export const isAlreadyStored = (error: string) => /value_already_exist/.test(error);

export function createLagoSender(
  options: { apiUrl: string; apiKey: string; timeoutMs?: number },
): LagoSender {
  const client = Client(options.apiKey, {
    baseUrl: `${options.apiUrl}/api/v1`,
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async sendBatch(events) {
      let response: Response;
      try {
        response = await client.events.createBatchEvents(
          { events } as never,
          { signal: AbortSignal.timeout(timeoutMs) },
        );
        await response.body?.cancel().catch(() => {});
        return { kind: "stored" };
      } catch (error) {
        if (!(error instanceof Response)) {
          return {
            kind: "retry",
            reason: `network: ${(error as Error)?.name ?? "error"}`,
          };
        }
        response = error;
      }
      const body = await readJson(response);
      const status = response.status;
      if (status === 422) {
        const errors = errorsByIndex(body);
        if (errors.size) return { kind: "refused", errors };
        return { kind: "rejected", status, reason: summarize(body) };
      }
      if (status === 429 || status >= 500 || status === 401 || status === 403) {
        const retryAfter = Number(response.headers.get("retry-after"));
        return {
          kind: "retry",
          reason: `HTTP ${status}`,
          ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
        };
      }
      return {
        kind: "rejected",
        status,
        reason: `HTTP ${status}: ${summarize(body)}`,
      };
    },
  };
}

async function readJson(response: Response): Promise<unknown> {
  try {
    // The client has usually read the body into `error` already.
    const parsed = (response as Response & { error?: unknown }).error;
    if (parsed !== undefined && parsed !== null) return parsed;
    return await response.json();
  } catch {
    return null;
  }
}

/** `error_details` keyed by the index of the refused event, as Lago's batch answers it. */
export function errorsByIndex(body: unknown): Map<number, string> {
  const details = (body as { error_details?: unknown } | null)?.error_details;
  const errors = new Map<number, string>();
  if (details && typeof details === "object") {
    for (const [key, value] of Object.entries(details)) {
      if (/^\d+$/.test(key)) errors.set(Number(key), JSON.stringify(value));
    }
  }
  return errors;
}

const summarize = (body: unknown) => JSON.stringify(body ?? null).slice(0, 300);

/** What Lago said to a cheap authenticated read (`deno task doctor`). */
export type LagoCredentialCheck =
  /** The key is accepted and the billable metric exists. */
  | { kind: "ok" }
  /** 401/403: the key is refused. */
  | { kind: "unauthorized"; status: number }
  /** 404: the key is accepted (Lago checks it first) but no metric has this code. */
  | { kind: "no_metric" }
  /** No answer, or another status. */
  | { kind: "unreachable"; reason: string };

/**
 * `GET /api/v1/billable_metrics/{code}`: proves the key and that the metric
 * the worker sends events to exists, and changes nothing in Lago.
 */
export async function checkLagoCredentials(
  options: { apiUrl: string; apiKey: string; metricCode: string; timeoutMs?: number },
): Promise<LagoCredentialCheck> {
  const client = Client(options.apiKey, { baseUrl: `${options.apiUrl}/api/v1` });
  let response: Response;
  try {
    response = await client.billableMetrics.findBillableMetric(options.metricCode, {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    if (!(error instanceof Response)) {
      return { kind: "unreachable", reason: `network: ${(error as Error)?.name ?? "error"}` };
    }
    response = error;
  }
  await response.body?.cancel().catch(() => {});
  const status = response.status;
  if (response.ok) return { kind: "ok" };
  if (status === 401 || status === 403) return { kind: "unauthorized", status };
  if (status === 404) return { kind: "no_metric" };
  return { kind: "unreachable", reason: `HTTP ${status}` };
}
