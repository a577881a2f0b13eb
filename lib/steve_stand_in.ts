/**
 * A stand-in for SteVe's fork: builds the two hook bodies as it does, signs
 * the exact bytes sent with that hook's own key, in the header and scheme its
 * registry entry names (lib/signed_endpoints.ts: `X-Signature`, lower-case hex
 * HMAC-SHA256), and plays a whole charging session. `deno task steve`, the
 * demo and the load benchmarks all send through this module.
 */
import type { Clock } from "./clock.ts";
import type { MeterSample, MeterValuesBody } from "./meter_values.ts";
import type { PreAuthorizeBody } from "./pre_authorize.ts";
import { SIGNED_ENDPOINTS, type SignedEndpoint } from "./signed_endpoints.ts";
import { schemeOf } from "./signatures/mod.ts";

/** The registry entries SteVe calls. */
export const STEVE_HOOKS = {
  preAuthorize: SIGNED_ENDPOINTS.preAuthorize,
  meterValues: SIGNED_ENDPOINTS.meterValues,
} as const;

/** One secret per hook (each entry's first variable): neither signs the other's hook. */
export type SteveKeys = { [K in keyof typeof STEVE_HOOKS]: string };

/** What a hook answered: `status` 0 and `answer.error` when nothing came back. */
export type HookAnswer = { status: number; ok: boolean; answer: unknown };

/** The pre-authorize body of an Authorize.req (`isStartTx` false) or StartTransaction.req. */
export function buildPreAuthorizeBody(
  { idTag, chargeBoxId, connectorId, isStartTx, at }: {
    chargeBoxId: string;
    idTag: string;
    connectorId: number;
    isStartTx: boolean;
    at: Date;
  },
): PreAuthorizeBody {
  // Key order as SteVe writes it: the signature covers these bytes.
  return { idTag, chargeBoxId, connectorId, isStartTx, ts: at.getTime() };
}

/** The meter-values body of one MeterValues.req; `timestamp` is ISO-8601 UTC. */
export function buildMeterValuesBody(
  { chargeBoxId, transactionPk, connectorId, at, samples }: {
    chargeBoxId: string;
    transactionPk: number;
    connectorId: number;
    at: Date;
    samples: MeterSample[];
  },
): MeterValuesBody {
  const timestamp = at.toISOString();
  return { chargeBoxId, transactionPk, connectorId, timestamp, samples };
}

export type ReadingContext =
  | "Transaction.Begin"
  | "Sample.Periodic"
  | "Transaction.End";

/** Integer thousandths (mWh, mW) as an OCPP decimal string: 100002056 → "100002.056". */
export function formatThousandths(units: number): string {
  const [whole, rest] = [Math.trunc(units / 1000), units % 1000];
  return rest ? `${whole}.${String(rest).padStart(3, "0")}` : String(whole);
}

/** The lifetime import register, in Wh, from `registerMwh` milliwatt-hours. */
export function energySample(
  registerMwh: number,
  context: ReadingContext,
): MeterSample {
  const value = formatThousandths(registerMwh);
  const measurand = "Energy.Active.Import.Register";
  return { value, measurand, unit: "Wh", context, phase: null, location };
}

// OCPP's default location; samples marked "EV" would not count as the outlet's.
const location = "Outlet";

/** Import power split over L1…L`phases`, in W; the values sum exactly to `totalMw` mW. */
export function phasePowerSamples(
  totalMw: number,
  phases: number,
  context: ReadingContext,
): MeterSample[] {
  const share = Math.floor(totalMw / phases);
  const remainder = totalMw - share * phases;
  return Array.from({ length: phases }, (_, i) => ({
    value: formatThousandths(share + (i < remainder ? 1 : 0)),
    measurand: "Power.Active.Import",
    unit: "W",
    context,
    phase: `L${i + 1}`,
    location,
  }));
}

/**
 * Waits `ms`, or less: resolves at once when `signal` aborts (or already has),
 * so a stopping app never waits out a pause between readings.
 */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * POSTs `body` as JSON to `endpoint`'s path under `baseUrl`, signed with `key`
 * in its first header and its scheme; never throws (no answer is status 0,
 * also when `signal` aborts the call).
 */
export async function postSigned(
  endpoint: SignedEndpoint,
  baseUrl: string,
  key: string,
  body: unknown,
  fetchFn: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<HookAnswer> {
  // Serialize once and sign those very bytes: re-serializing could differ.
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  try {
    const response = await fetchFn(hookUrl(baseUrl, endpoint.path), {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        [endpoint.headers[0]]: await schemeOf(endpoint.scheme).sign(key, bytes),
      },
      body: bytes,
      signal,
    });
    const text = await response.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch { /* not JSON: keep the text, it is still the answer */ }
    return { status: response.status, ok: response.ok, answer };
  } catch (error) {
    return { status: 0, ok: false, answer: { error: String(error) } };
  }
}

/** Sends each hook to `baseUrl` with that hook's key only. */
export interface SteveSender {
  preAuthorize(body: PreAuthorizeBody): Promise<HookAnswer>;
  meterValues(body: MeterValuesBody): Promise<HookAnswer>;
}

/** `path` under `baseUrl`, keeping any path prefix (`new URL(path, base)` drops it). */
export const hookUrl = (baseUrl: string, path: string) => baseUrl.replace(/\/+$/, "") + path;

export function createSteveSender(options: {
  baseUrl: string;
  keys: SteveKeys;
  fetch?: typeof fetch;
  /** Aborts calls in flight (they answer status 0). */
  signal?: AbortSignal;
}): SteveSender {
  const { baseUrl, keys, fetch, signal } = options;
  const to = (hook: keyof typeof STEVE_HOOKS) => (body: unknown) =>
    postSigned(STEVE_HOOKS[hook], baseUrl, keys[hook], body, fetch, signal);
  return { preAuthorize: to("preAuthorize"), meterValues: to("meterValues") };
}

export interface SessionOptions {
  chargeBoxId: string;
  idTag: string;
  connectorId: number;
  /** Default: random in [1, 2^31), like a database serial. */
  transactionPk?: number;
  /** Periodic readings between Transaction.Begin and Transaction.End. */
  readings: number;
  /** Wait before each periodic and the end reading; 0 sends at once. */
  intervalMs: number;
  startWh: number;
  kw: number;
  phases: number;
}

export const DEFAULT_SESSION = {
  connectorId: 1,
  readings: 5,
  intervalMs: 1000,
  startWh: 100_000,
  kw: 7.4,
  phases: 3,
} as const satisfies Partial<SessionOptions>;

export type SessionStep =
  | "Authorize"
  | "StartTransaction"
  | `MeterValues ${ReadingContext}`;

export type SessionCall = HookAnswer & { step: SessionStep };

export interface SessionResult {
  transactionPk: number;
  calls: SessionCall[];
  /** A pre-authorize answered BLOCKED (scan-to-login took the tap): no transaction. */
  blocked: boolean;
  beginWh: number;
  endWh: number;
  kwh: number;
  /** Every call answered 2xx. */
  ok: boolean;
}

export interface SessionDeps {
  send: SteveSender;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** Stops the session before its next call; the default sleep ends early on it too. */
  signal?: AbortSignal;
  /** Called after each call, e.g. to print it as it happens. */
  onCall?: (call: SessionCall) => void;
}

const MS_PER_HOUR = 3_600_000;

/**
 * Plays a session as SteVe forwards it: Authorize, StartTransaction, then
 * MeterValues (Transaction.Begin, `readings` × Sample.Periodic with per-phase
 * power, Transaction.End). The register follows the clock: `kw` times the
 * time since Transaction.Begin. Like SteVe it fails open and carries on after
 * a non-2xx, but stops when a pre-authorize answers BLOCKED, and before the
 * next call once `deps.signal` aborts (the result then has fewer calls).
 */
export async function runSession(
  deps: SessionDeps,
  options: SessionOptions,
): Promise<SessionResult> {
  const sleep = deps.sleep ?? ((ms: number) => sleepUnlessAborted(ms, deps.signal));
  const stopped = () => deps.signal?.aborted === true;
  const transactionPk = options.transactionPk ??
    1 + Math.floor(Math.random() * (2 ** 31 - 1));
  const { chargeBoxId, idTag, connectorId } = options;
  const calls: SessionCall[] = [];
  const record = (step: SessionStep, answer: HookAnswer) => {
    const call = { step, ...answer };
    calls.push(call);
    deps.onCall?.(call);
    return call;
  };
  const startMwh = Math.round(options.startWh * 1000);
  const powerMw = Math.round(options.kw * 1_000_000);
  const result = (endMwh: number, blocked: boolean): SessionResult => ({
    transactionPk,
    calls,
    blocked,
    beginWh: startMwh / 1000,
    endWh: endMwh / 1000,
    kwh: (endMwh - startMwh) / 1_000_000,
    ok: calls.every((c) => c.ok),
  });

  for (const isStartTx of [false, true]) {
    if (stopped()) return result(startMwh, false);
    const at = deps.clock.now();
    const body = buildPreAuthorizeBody({
      chargeBoxId,
      idTag,
      connectorId,
      isStartTx,
      at,
    });
    const call = record(
      isStartTx ? "StartTransaction" : "Authorize",
      await deps.send.preAuthorize(body),
    );
    const answer = call.answer as { override?: unknown } | null;
    if (call.ok && answer?.override === "BLOCKED") {
      return result(startMwh, true);
    }
  }

  const beginAt = deps.clock.now().getTime();
  let registerMwh = startMwh;
  const sendReading = async (at: Date, context: ReadingContext) => {
    // Never backwards, even if the wall clock is stepped back.
    registerMwh = Math.max(
      registerMwh,
      startMwh + Math.round(powerMw * (at.getTime() - beginAt) / MS_PER_HOUR),
    );
    const samples = [energySample(registerMwh, context)];
    if (context === "Sample.Periodic") {
      samples.push(...phasePowerSamples(powerMw, options.phases, context));
    }
    const body = buildMeterValuesBody({
      chargeBoxId,
      transactionPk,
      connectorId,
      at,
      samples,
    });
    record(`MeterValues ${context}`, await deps.send.meterValues(body));
  };

  if (stopped()) return result(registerMwh, false);
  await sendReading(new Date(beginAt), "Transaction.Begin");
  for (let i = 0; i < options.readings; i++) {
    if (options.intervalMs > 0) await sleep(options.intervalMs);
    if (stopped()) return result(registerMwh, false);
    await sendReading(deps.clock.now(), "Sample.Periodic");
  }
  if (options.intervalMs > 0) await sleep(options.intervalMs);
  if (stopped()) return result(registerMwh, false);
  await sendReading(deps.clock.now(), "Transaction.End");
  return result(registerMwh, false);
}
