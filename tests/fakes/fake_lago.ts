/**
 * A fake Lago over real HTTP: `POST /api/v1/events/batch`, all-or-nothing,
 * with failure modes a test switches on, and `GET /api/v1/billable_metrics/{code}`
 * (401 on a wrong key, 404 `billable_metric_not_found` on another code).
 *
 * The 422 mimics Lago's batch validation failure, errors keyed by the event's
 * index in the batch. Observed from self-hosted Lago v1.17.4 on a repeated
 * transaction_id (getlago/lago-api issue #3049):
 *   {"status":422,"error":"Unprocessable Entity","code":"validation_errors",
 *    "error_details":{"0":{"transaction_id":["value_already_exist"]}, …}}
 * Source of the keys: app/services/events/create_batch_service.rb sets
 * `result.errors[index] = event.errors.messages` ({field => [codes]}) and,
 * with the Postgres store, `{transaction_id: ["value_already_exist"]}` when a
 * save hits the unique index; over 100 events (LAGO_EVENTS_BATCH_MAX_LENGTH)
 * is `{"events":["too_many_events"]}`, none is `{"events":["no_events"]}`.
 * Newer lago-api adds `"error_extra":{}` (app/controllers/concerns/api_errors.rb).
 * Codes used here: value_is_mandatory (Rails presence), invalid_format
 * (timestamp), value_is_not_valid_number (properties, from
 * validate_creation_service.rb). Lago checks neither subscription nor code in a
 * batch; this fake does, answering subscription_not_found and
 * billable_metric_not_found. Lago's uniqueness is per subscription; here a
 * transaction_id is unique across all of them.
 */
import { fakeResponse, reasonPhrase, serveFake } from "./fake_http.ts";

/** An event as a client sends it in a batch. */
export interface LagoEvent {
  transaction_id: string;
  external_subscription_id: string;
  code: string;
  timestamp: number | string;
  properties: Record<string, unknown>;
}

/** An event the fake accepted. */
export interface StoredLagoEvent extends LagoEvent {
  lago_id: string;
  created_at: string;
}

/** One batch request as the fake saw it. */
export interface LagoBatchRequest {
  /** Events in the body (0 when it was not a readable batch). */
  size: number;
  /** The status the fake answered. */
  status: number;
}

/** What the next batch requests answer instead of being processed. */
export interface LagoFailure {
  status: number;
  /** Sent as `Retry-After` (seconds) when given. */
  retryAfterSeconds?: number;
  /** JSON body, or a string sent as HTML; defaults to Lago's `{status, error}`. */
  body?: unknown;
}

/** A running fake Lago; `await using` closes it. */
export interface FakeLago extends AsyncDisposable {
  /** Base URL without `/api/v1`. */
  url: string;
  apiKey: string;
  /** Accepted events by transaction_id, in arrival order. */
  events: Map<string, StoredLagoEvent>;
  requests: LagoBatchRequest[];
  /** Events answered `value_already_exist`. */
  duplicatesRejected: number;
  /** Makes events for `id` valid. */
  addSubscription(id: string): void;
  /** Exact sum of the metric field, 6 decimals; throws past micro-units. */
  sum(subscriptionId?: string): string;
  /** The next `n` batch requests answer `failure` and store nothing. */
  failNext(n: number, failure: LagoFailure): void;
  /** Until reset, answers come `ms` late; a hung batch is still stored. */
  hang(ms: number): void;
  /** Any batch holding `transactionId` answers `status`, storing nothing. */
  poison(transactionId: string, status: number): void;
  /** Clears failNext, hang and poison (not events or subscriptions). */
  reset(): void;
}

/** Options for {@link startFakeLago}. */
export interface FakeLagoOptions {
  apiKey?: string;
  /** The billable metric's code (default "kwh"). */
  metricCode?: string;
  /** The property summed by the metric (default "kwh"). */
  metricField?: string;
}

const MAX_BATCH = 100;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const SECONDS = /^\d+(\.\d+)?$/;

type Errors = Record<string, string[]>;

/** Starts a fake Lago on a free loopback port. */
export function startFakeLago(options: FakeLagoOptions = {}): FakeLago {
  const apiKey = options.apiKey ?? crypto.randomUUID();
  const metricCode = options.metricCode ?? "kwh";
  const metricField = options.metricField ?? "kwh";
  const subscriptions = new Set<string>();
  let failures: Array<LagoFailure> = [];
  let hangMs = 0;
  let poisoned = new Map<string, number>();

  const lagoError = (status: number, error = reasonPhrase(status)) =>
    fakeResponse(status, { status, error });
  const validation = (error_details: Record<string, Errors | string[]>) =>
    fakeResponse(422, {
      status: 422,
      error: "Unprocessable Entity",
      code: "validation_errors",
      error_details,
    });

  function validate(raw: unknown, seen: Set<string>): Errors {
    const e: Record<string, unknown> = typeof raw === "object" && raw ? { ...raw } : {};
    const errors: Errors = {};
    const fail = (field: string, code: string) => (errors[field] ??= []).push(code);
    const blank = (v: unknown) => typeof v !== "string" || v === "";
    const [id, sub] = [e.transaction_id, e.external_subscription_id];
    if (blank(id)) fail("transaction_id", "value_is_mandatory");
    else if (fake.events.has(id as string) || seen.has(id as string)) {
      fail("transaction_id", "value_already_exist");
      fake.duplicatesRejected++;
    } else seen.add(id as string);
    if (blank(sub)) fail("external_subscription_id", "value_is_mandatory");
    else if (!subscriptions.has(sub as string)) {
      fail("external_subscription_id", "subscription_not_found");
    }
    if (blank(e.code)) fail("code", "value_is_mandatory");
    else if (e.code !== metricCode) fail("code", "billable_metric_not_found");
    const ts = e.timestamp;
    if (ts === undefined || ts === null) {
      fail("timestamp", "value_is_mandatory");
    } else if (
      !/^(number|string)$/.test(typeof ts) || !SECONDS.test(String(ts))
    ) {
      fail("timestamp", "invalid_format");
    }
    const value = (e.properties as Record<string, unknown> | null)
      ?.[metricField];
    if (typeof value !== "string" || !DECIMAL.test(value)) {
      fail("properties", "value_is_not_valid_number");
    }
    return errors;
  }

  async function answerBatch(
    request: Request,
    record: LagoBatchRequest,
  ): Promise<Response> {
    // The body arrives before the pause: a hung batch still lands afterwards.
    const text = await request.text().catch(() => "");
    if (hangMs > 0 && !(await server.pause(hangMs))) return lagoError(503);
    const failure = failures.shift();
    if (failure) {
      const { status, retryAfterSeconds: wait } = failure;
      const body = failure.body ?? { status, error: reasonPhrase(status) };
      const headers = wait === undefined ? undefined : { "retry-after": `${wait}` };
      return fakeResponse(status, body, headers);
    }
    if (request.headers.get("authorization") !== `Bearer ${apiKey}`) {
      return lagoError(401);
    }
    let body: { events?: unknown };
    try {
      body = JSON.parse(text);
    } catch (error) {
      return lagoError(400, `BadRequest: ${(error as Error).message}`);
    }
    const events = Array.isArray(body?.events) ? body.events : [];
    record.size = events.length;
    if (events.length === 0) return validation({ events: ["no_events"] });
    if (events.length > MAX_BATCH) {
      return validation({ events: ["too_many_events"] });
    }
    for (const event of events) {
      const status = poisoned.get(event?.transaction_id);
      if (status !== undefined) return lagoError(status);
    }
    const seen = new Set<string>();
    const errors: Record<string, Errors> = {};
    events.forEach((event, index) => {
      const found = validate(event, seen);
      if (Object.keys(found).length > 0) errors[index] = found;
    });
    if (Object.keys(errors).length > 0) return validation(errors);
    const created_at = new Date().toISOString();
    const stored = (events as LagoEvent[]).map((event) => ({
      ...event,
      lago_id: crypto.randomUUID(),
      created_at,
    }));
    for (const event of stored) fake.events.set(event.transaction_id, event);
    return fakeResponse(200, {
      events: stored.map((e) => ({
        ...e,
        timestamp: new Date(Number(e.timestamp) * 1000).toISOString(),
      })),
    });
  }

  const server = serveFake(async (request) => {
    const { pathname } = new URL(request.url);
    const metric = /^\/api\/v1\/billable_metrics\/([^/]+)$/.exec(pathname);
    if (request.method === "GET" && metric) {
      // Lago checks the key first, then finds the metric by its code.
      await request.body?.cancel();
      if (request.headers.get("authorization") !== `Bearer ${apiKey}`) return lagoError(401);
      if (decodeURIComponent(metric[1]) !== metricCode) {
        return fakeResponse(404, {
          status: 404,
          error: "Not Found",
          code: "billable_metric_not_found",
        });
      }
      return fakeResponse(200, {
        billable_metric: { code: metricCode, aggregation_type: "sum_agg", field_name: metricField },
      });
    }
    if (request.method !== "POST" || pathname !== "/api/v1/events/batch") {
      await request.body?.cancel();
      return lagoError(404);
    }
    const record: LagoBatchRequest = { size: 0, status: 0 };
    fake.requests.push(record);
    const response = await answerBatch(request, record);
    record.status = response.status;
    return response;
  });

  const fake: FakeLago = {
    url: server.origin,
    apiKey,
    events: new Map(),
    requests: [],
    duplicatesRejected: 0,
    addSubscription: (id) => void subscriptions.add(id),
    sum(subscriptionId) {
      let micro = 0n;
      for (const event of fake.events.values()) {
        if (
          subscriptionId && event.external_subscription_id !== subscriptionId
        ) {
          continue;
        }
        micro += toMicro(String(event.properties[metricField]));
      }
      return formatMicro(micro);
    },
    failNext: (n, failure) => void failures.push(...Array(n).fill(failure)),
    hang: (ms) => void (hangMs = ms),
    poison: (id, status) => void poisoned.set(id, status),
    reset() {
      failures = [];
      hangMs = 0;
      poisoned = new Map();
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  return fake;
}

/** A plain decimal in micro-units; digits past the sixth must be zeros. */
function toMicro(value: string): bigint {
  const [, sign, whole, fraction = ""] = DECIMAL.exec(value)!;
  if (/[1-9]/.test(fraction.slice(6))) {
    throw new RangeError(`${value} is finer than micro-units`);
  }
  const micro = BigInt(whole) * 1_000_000n +
    BigInt(fraction.slice(0, 6).padEnd(6, "0"));
  return sign ? -micro : micro;
}

function formatMicro(micro: bigint): string {
  const abs = micro < 0n ? -micro : micro;
  const fraction = String(abs % 1_000_000n).padStart(6, "0");
  return `${micro < 0n ? "-" : ""}${abs / 1_000_000n}.${fraction}`;
}
