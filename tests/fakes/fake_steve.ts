/**
 * A fake SteVe 3.8+ REST API over real HTTP: `GET /api/v1/transactions` behind
 * HTTP Basic, with failure modes a test switches on.
 *
 * Checked against steve-community/steve, tags steve-3.8.0 to 3.14 and master:
 * - Items are repository/dto/Transaction.java as Jackson writes it: id,
 *   connectorId, chargeBoxPk, ocppTagPk, chargeBoxId, ocppIdTag, startValue,
 *   startTimestamp, stopValue, stopReason, stopTimestamp, stopEventActor (the
 *   *Formatted fields are @JsonIgnore; 3.9+ adds a nullable userId, left out
 *   here as 3.8 lacks it). Values are Wh strings, every stop* is null while
 *   active, timestamps are ISO-8601 (WRITE_DATES_AS_TIMESTAMPS off; UTC
 *   "…T14:30:00.000Z" per the API docs' example), stopEventActor is the
 *   enum('station','manual'). Newest transaction pk first.
 * - Query (web/dto/TransactionQueryForm, QueryForm): transactionPk,
 *   chargeBoxId, ocppIdTag, type ALL|ACTIVE|STOPPED (ALL for the API),
 *   periodType (ALL by default), from/to; FROM_TO without both, or with `to`
 *   not after `from`, is a 400.
 * - FROM_TO keeps from ≤ startTimestamp ≤ to (jOOQ BETWEEN, both ends
 *   inclusive) for every type, as SteVe does since 3.10.0 (commit 9cf09600).
 *   3.8 and 3.9 filter start for ACTIVE, stop for STOPPED and nothing for ALL:
 *   pass `legacyFromTo` to get that.
 * - Errors are ApiControllerAdvice's {timestamp, status, error, message, path}.
 */
import { fakeResponse, reasonPhrase, serveFake } from "./fake_http.ts";

/** One item of SteVe's transaction list. */
export interface SteveTransaction {
  id: number;
  chargeBoxId: string;
  chargeBoxPk: number;
  connectorId: number;
  ocppIdTag: string;
  ocppTagPk: number;
  startTimestamp: string;
  /** Meter register at start, Wh, as a string. */
  startValue: string;
  stopTimestamp: string | null;
  stopValue: string | null;
  stopReason: string | null;
  stopEventActor: "station" | "manual" | null;
}

/** A running fake SteVe; `await using` closes it. */
export interface FakeSteve extends AsyncDisposable {
  /** Base URL ending in `/api`. */
  url: string;
  user: string;
  password: string;
  /** Query string of each transactions request, in order (no `?`). */
  requests: string[];
  /** Adds a transaction (defaults: next id, active, started now at 0 Wh). */
  addTransaction(t?: Partial<SteveTransaction>): SteveTransaction;
  /** Changes a stored transaction (e.g. stops it); throws if unknown. */
  updateTransaction(
    id: number,
    patch: Partial<Omit<SteveTransaction, "id">>,
  ): SteveTransaction;
  /** The next `n` requests answer `status`. */
  failNext(n: number, status: number): void;
  /** Until reset, requests are answered `ms` late. */
  hang(ms: number): void;
  setCredentials(user: string, password: string): void;
  /** Clears failNext and hang. */
  reset(): void;
}

/** Options for {@link startFakeSteve}. */
export interface FakeSteveOptions {
  user?: string;
  password?: string;
  /** SteVe 3.8/3.9's FROM_TO: start for ACTIVE, stop for STOPPED, none for ALL. */
  legacyFromTo?: boolean;
}

const TYPES = ["ALL", "ACTIVE", "STOPPED"];

/** Starts a fake SteVe on a free loopback port. */
export function startFakeSteve(options: FakeSteveOptions = {}): FakeSteve {
  const transactions = new Map<number, SteveTransaction>();
  let failures: number[] = [];
  let hangMs = 0;

  const steveError = (request: Request, status: number, message: string) =>
    fakeResponse(status, {
      timestamp: new Date().toISOString(),
      status,
      error: reasonPhrase(status),
      message,
      path: request.url.split("?")[0],
    });

  function authorized(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    if (!header.startsWith("Basic ")) return false;
    try {
      const bytes = Uint8Array.from(
        atob(header.slice(6)),
        (c) => c.charCodeAt(0),
      );
      return new TextDecoder().decode(bytes) ===
        `${fake.user}:${fake.password}`;
    } catch {
      return false; // not base64
    }
  }

  /** The list SteVe would answer, or the 400 message. */
  function query(params: URLSearchParams): SteveTransaction[] | string {
    const type = params.get("type") ?? "ALL";
    const period = params.get("periodType") ?? "ALL";
    if (!TYPES.includes(type)) return `Unknown type ${type}`;
    if (period !== "ALL" && period !== "FROM_TO") {
      return `periodType ${period} is not implemented by the fake`;
    }
    let list = [...transactions.values()].filter((t) =>
      type === "ALL" || (type === "ACTIVE") === (t.stopTimestamp === null)
    );
    for (const key of ["transactionPk", "chargeBoxId", "ocppIdTag"] as const) {
      const wanted = params.getAll(key);
      const field = key === "transactionPk" ? "id" : key;
      if (wanted.length) {
        list = list.filter((t) => wanted.includes(String(t[field])));
      }
    }
    if (period === "FROM_TO") {
      const [from, to] = ["from", "to"].map((k) => Date.parse(params.get(k)!));
      if (Number.isNaN(from) || Number.isNaN(to)) {
        return "The values 'From' and 'To' must be both set";
      }
      if (to <= from) return "'To' must be after 'From'";
      const legacy = options.legacyFromTo;
      if (!legacy || type !== "ALL") {
        list = list.filter((t) => {
          const at = legacy && type === "STOPPED" ? t.stopTimestamp! : t.startTimestamp;
          return from <= Date.parse(at) && Date.parse(at) <= to;
        });
      }
    }
    return list.sort((a, b) => b.id - a.id);
  }

  const server = serveFake(async (request) => {
    const url = new URL(request.url);
    await request.body?.cancel();
    if (url.pathname !== "/api/v1/transactions" || request.method !== "GET") {
      return steveError(request, 404, "Not Found");
    }
    fake.requests.push(url.search.slice(1));
    if (hangMs > 0 && !(await server.pause(hangMs))) {
      return steveError(request, 503, "Shutting down");
    }
    const failure = failures.shift();
    if (failure) return steveError(request, failure, "Injected failure");
    if (!authorized(request)) {
      return steveError(request, 401, "Invalid username or API password");
    }
    const list = query(url.searchParams);
    if (typeof list === "string") return steveError(request, 400, list);
    return fakeResponse(200, list);
  });

  const pk = (map: Map<string, number>, key: string) =>
    map.get(key) ?? map.set(key, map.size + 1).get(key)!;
  const chargeBoxPks = new Map<string, number>();
  const tagPks = new Map<string, number>();

  const fake: FakeSteve = {
    url: `${server.origin}/api`,
    user: options.user ?? "api-user",
    password: options.password ?? crypto.randomUUID(),
    requests: [],
    addTransaction(t = {}) {
      const chargeBoxId = t.chargeBoxId ?? "CB-1";
      const ocppIdTag = t.ocppIdTag ?? "TAG-1";
      const stored: SteveTransaction = {
        id: t.id ?? Math.max(0, ...transactions.keys()) + 1,
        chargeBoxId,
        chargeBoxPk: t.chargeBoxPk ?? pk(chargeBoxPks, chargeBoxId),
        connectorId: t.connectorId ?? 1,
        ocppIdTag,
        ocppTagPk: t.ocppTagPk ?? pk(tagPks, ocppIdTag),
        startTimestamp: iso(t.startTimestamp ?? new Date().toISOString()),
        startValue: t.startValue ?? "0",
        stopTimestamp: t.stopTimestamp ? iso(t.stopTimestamp) : null,
        stopValue: t.stopValue ?? null,
        stopReason: t.stopReason ?? null,
        stopEventActor: t.stopEventActor ?? null,
      };
      transactions.set(stored.id, stored);
      return stored;
    },
    updateTransaction(id, patch) {
      const current = transactions.get(id);
      if (!current) throw new Error(`no transaction ${id} in the fake`);
      const { startTimestamp, stopTimestamp } = patch;
      Object.assign(current, patch);
      if (startTimestamp) current.startTimestamp = iso(startTimestamp);
      if (stopTimestamp) current.stopTimestamp = iso(stopTimestamp);
      return current;
    },
    failNext: (n, status) => void failures.push(...Array(n).fill(status)),
    hang: (ms) => void (hangMs = ms),
    setCredentials(user, password) {
      fake.user = user;
      fake.password = password;
    },
    reset() {
      failures = [];
      hangMs = 0;
    },
    [Symbol.asyncDispose]: () => server.close(),
  };
  return fake;
}

/** SteVe's timestamp form: ISO-8601 UTC with milliseconds. */
function iso(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${value}`);
  return new Date(ms).toISOString();
}
