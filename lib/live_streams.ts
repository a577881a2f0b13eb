/**
 * The live-session SSE streams (admin: every session; customer: their own).
 *
 * Each stream opens with a `snapshot` event `{"sessions":[…]}`, then sends one
 * `session` event per change. It subscribes before reading the snapshot and
 * holds events back until the snapshot is out, then drops any event whose
 * session `version` is not newer than what the client already has — so a
 * reconnect never shows stale data, whatever order events and reads race in.
 */
import type { AppDeps } from "./app_deps.ts";
import { AppError } from "./errors.ts";
import type { TransactionMeter } from "./event_bus.ts";
import { listLiveSessionViews } from "./live_sessions.ts";
import { sseResponse } from "./sse.ts";
import type { Login } from "./http/web_sessions.ts";

/** Open streams per login, so one login cannot hold the server's connections. */
export class StreamCounter {
  readonly #open = new Map<string, number>();
  constructor(private readonly limit: number) {}

  /** Takes a slot for `key`; returns its release, or null when the login has `limit` open. */
  acquire(key: string): (() => void) | null {
    const n = this.#open.get(key) ?? 0;
    if (n >= this.limit) return null;
    this.#open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(key) ?? 1) - 1;
      if (left > 0) this.#open.set(key, left);
      else this.#open.delete(key);
    };
  }

  openFor(key: string): number {
    return this.#open.get(key) ?? 0;
  }
}

export function liveSessionStream(
  deps: AppDeps,
  args: { login: Login; signal: AbortSignal },
): Response {
  const release = deps.streams.acquire(args.login.key);
  if (!release) throw new AppError("too_many_streams");
  const customerId = args.login.customerId;
  const visible = (s: TransactionMeter) => customerId === undefined || s.customerId === customerId;

  return sseResponse({
    signal: args.signal,
    closing: deps.closing,
    heartbeatMs: deps.sseHeartbeatMs,
    start: async (stream) => {
      stream.onClose(release);
      const sent = new Map<number, number>();
      let held: TransactionMeter[] | null = [];
      const forward = (s: TransactionMeter) => {
        if ((sent.get(s.transactionPk) ?? 0) >= s.version) return;
        sent.set(s.transactionPk, s.version);
        stream.send("session", s);
      };
      stream.onClose(deps.bus.subscribe("transaction.meter", (s) => {
        if (!visible(s)) return;
        if (held) held.push(s);
        else forward(s);
      }));
      const sessions = await listLiveSessionViews(deps, { customerId });
      for (const s of sessions) sent.set(s.transactionPk, s.version);
      stream.send("snapshot", { sessions });
      const backlog = held;
      held = null;
      backlog.forEach(forward);
    },
  });
}
