/**
 * The live-session SSE streams (admin: every session; customer: their own).
 *
 * Each stream opens with a `snapshot` event `{"sessions":[…]}`, then sends one
 * `session` event per change. It subscribes before reading the snapshot and
 * holds events back until the snapshot is out, then drops any event whose
 * session `version` is not newer than what the client already has — so a
 * reconnect never shows stale data, whatever order events and reads race in.
 * When the bus may have missed events of other instances (`onResync`), the
 * stream sends a fresh `snapshot` the same way.
 */
import type { Database } from "../db/client.ts";
import {
  acquireStreamLease,
  releaseStreamLease,
  renewStreamLeases,
} from "../db/queries/stream_leases.ts";
import type { AppDeps } from "./app_deps.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import type { TransactionMeter } from "./event_bus.ts";
import { listLiveSessionViews } from "./live_sessions.ts";
import { errorSummary, logger } from "./logging.ts";
import { sseResponse } from "./sse.ts";
import type { Login } from "./http/web_sessions.ts";

/** How long a stream's lease lasts unless its instance renews it: a crashed instance's slots free after this. */
export const STREAM_LEASE_MS = 60_000;
/** How often an instance with open streams renews their leases. */
export const STREAM_LEASE_RENEW_MS = 20_000;

/**
 * Open streams per login across all instances (`SSE_STREAMS_PER_LOGIN`), so
 * one login cannot hold the servers' connections: each open stream holds a
 * lease in `stream_leases`, renewed by its instance while it stays open.
 */
export class StreamCounter {
  /** Leases this instance holds, by id, with their login. */
  readonly #held = new Map<string, string>();
  #renewTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly deps: { db: Database; clock: Clock; instanceId: string; limit: number },
  ) {}

  /**
   * Takes a slot for `key`; returns its release, or null when the login
   * already has `limit` open on any instance.
   */
  async acquire(key: string): Promise<(() => void) | null> {
    const id = crypto.randomUUID();
    const now = this.deps.clock.now();
    const taken = await acquireStreamLease(this.deps.db, {
      id,
      loginKey: key,
      instanceId: this.deps.instanceId,
      limit: this.deps.limit,
      now,
      expiresAt: new Date(now.getTime() + STREAM_LEASE_MS),
    });
    if (!taken) return null;
    this.#held.set(id, key);
    this.#renewWhileHeld();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot counts here until the database has let it go, so `openFor` never
      // promises a slot another instance would still see taken.
      releaseStreamLease(this.deps.db, id)
        .catch((error) =>
          logger("streams").warn("stream lease not released; it lapses by itself", {
            error: errorSummary(error),
          })
        )
        .finally(() => {
          this.#held.delete(id);
          this.#renewWhileHeld();
        });
    };
  }

  /** Streams of `key` open on this instance. */
  openFor(key: string): number {
    return [...this.#held.values()].filter((k) => k === key).length;
  }

  /** The renew timer runs only while this instance holds a lease: an idle app keeps no timer. */
  #renewWhileHeld(): void {
    if (this.#held.size === 0) {
      clearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
      return;
    }
    this.#renewTimer ??= setInterval(() => {
      renewStreamLeases(this.deps.db, {
        ids: [...this.#held.keys()],
        expiresAt: new Date(this.deps.clock.now().getTime() + STREAM_LEASE_MS),
      }).catch((error) =>
        logger("streams").warn("stream lease renewal failed", { error: errorSummary(error) })
      );
    }, STREAM_LEASE_RENEW_MS);
  }
}

export async function liveSessionStream(
  deps: AppDeps,
  args: { login: Login; signal: AbortSignal },
): Promise<Response> {
  const release = await deps.streams.acquire(args.login.key);
  if (!release) throw new AppError("too_many_streams");
  const customerId = args.login.customerId;
  const visible = (s: TransactionMeter) => customerId === undefined || s.customerId === customerId;

  return sseResponse({
    signal: args.signal,
    closing: deps.closing,
    heartbeatMs: deps.sseHeartbeatMs,
    onClose: release,
    start: async (stream) => {
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
      const sendSnapshot = async () => {
        held ??= [];
        const sessions = await listLiveSessionViews(deps, { customerId });
        for (const s of sessions) {
          sent.set(s.transactionPk, Math.max(sent.get(s.transactionPk) ?? 0, s.version));
        }
        stream.send("snapshot", { sessions });
        const backlog = held;
        held = null;
        backlog.forEach(forward);
      };
      // Events from other instances may have been missed (the bus's listener
      // reconnected): a fresh snapshot replaces what the client holds.
      let snapshots = Promise.resolve();
      stream.onClose(deps.bus.onResync(() => {
        snapshots = snapshots.then(sendSnapshot).catch(() => stream.close());
      }));
      await (snapshots = snapshots.then(sendSnapshot));
    },
  });
}
