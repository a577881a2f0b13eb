/**
 * SteVe's REST API (3.8+), the source of truth for a transaction:
 * `GET {STEVE_API_URL}/v1/transactions` with HTTP Basic auth. Its time filter
 * applies to the transaction's start time. Calls time out and are retried
 * with backoff; the outcome of the last call is kept for the admin.
 */
import type { Clock } from "../clock.ts";

export interface SteveTransaction {
  id: number;
  chargeBoxId: string;
  connectorId: number;
  ocppIdTag: string;
  startTimestamp: string;
  /** Wh, as a decimal string. */
  startValue: string;
  stopTimestamp: string | null;
  stopValue: string | null;
}

export interface TransactionQuery {
  transactionPk?: number;
  type?: "ALL" | "ACTIVE" | "STOPPED";
  from?: Date;
  to?: Date;
}

export type SteveState =
  | "not_configured"
  | "ok"
  | "unreachable"
  | "unauthorized"
  | "error";

export interface SteveStatus {
  state: SteveState;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
}

export class SteveApiError extends Error {
  constructor(
    readonly state: Exclude<SteveState, "ok" | "not_configured">,
    detail: string,
  ) {
    super(detail);
    this.name = "SteveApiError";
  }
}

export interface SteveApi {
  listTransactions(query: TransactionQuery): Promise<SteveTransaction[]>;
}

export function createSteveApi(options: {
  url: string;
  user: string;
  password: string;
  status: SteveStatus;
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
  clock: Clock;
}): SteveApi {
  const auth = `Basic ${btoa(`${options.user}:${options.password}`)}`;
  const retries = options.retries ?? 2;
  const delay = options.retryDelayMs ?? 300;

  const once = async (url: string): Promise<SteveTransaction[]> => {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: auth, accept: "application/json" },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (error) {
      throw new SteveApiError(
        "unreachable",
        `SteVe unreachable: ${(error as Error).name}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new SteveApiError(
        "unauthorized",
        `SteVe refused the credentials (HTTP ${response.status})`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SteveApiError(
        response.status >= 500 ? "unreachable" : "error",
        `SteVe answered HTTP ${response.status}`,
      );
    }
    const items = await response.json() as SteveTransaction[];
    if (!Array.isArray(items)) {
      throw new SteveApiError(
        "error",
        "SteVe answered something that is not a list",
      );
    }
    return items;
  };

  return {
    async listTransactions(query) {
      const params = new URLSearchParams({ type: query.type ?? "ALL" });
      if (query.transactionPk !== undefined) {
        params.set("transactionPk", String(query.transactionPk));
      }
      if (query.from && query.to) {
        params.set("periodType", "FROM_TO");
        params.set("from", query.from.toISOString());
        params.set("to", query.to.toISOString());
      }
      const url = `${options.url}/v1/transactions?${params}`;
      for (let attempt = 0;; attempt++) {
        try {
          const items = await once(url);
          options.status.state = "ok";
          options.status.lastSuccessAt = options.clock.now().toISOString();
          return items;
        } catch (error) {
          const e = error instanceof SteveApiError
            ? error
            : new SteveApiError("error", String(error));
          options.status.state = e.state;
          options.status.lastError = e.message;
          options.status.lastErrorAt = options.clock.now().toISOString();
          // Wrong credentials do not fix themselves between retries.
          if (attempt >= retries || e.state === "unauthorized") throw e;
          await new Promise((r) => setTimeout(r, delay * 2 ** attempt));
        }
      }
    },
  };
}
