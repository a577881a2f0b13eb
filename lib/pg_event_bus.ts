/**
 * The event bus across instances: PostgreSQL LISTEN/NOTIFY behind the
 * {@link EventBus} interface (used when `DATABASE_URL` is set; PGlite keeps
 * the in-process bus).
 *
 * `publish` delivers to this instance's listeners at once, as the in-process
 * bus does, and queues a NOTIFY for the others. Each notification carries the
 * publishing instance's id: the instance ignores its own echo, so its
 * listeners see each event once. A payload that does not fit a NOTIFY (8000
 * bytes) is stored in `bus_payloads` and the notification carries its id.
 *
 * One dedicated connection per instance listens (a pool cannot LISTEN: its
 * connections come and go); it announces itself as `expressync-listen` in
 * `pg_stat_activity`. When it is lost it reconnects with backoff and then
 * calls every `onResync` listener: events published meanwhile were missed, so
 * streams re-send a snapshot. Events carry a `version` where order matters
 * (`transaction.meter`); streams drop any not newer than what they sent.
 */
import { sql } from "drizzle-orm";
import pg from "pg";
import type { Database } from "../db/client.ts";
import { getBusPayload, insertBusPayload } from "../db/queries/bus_payloads.ts";
import { exponentialBackoffMs } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import { createEventBus, type EventBus, type EventMap, type Topic } from "./event_bus.ts";
import { errorSummary, type Logger } from "./logging.ts";

export const BUS_CHANNEL = "expressync_events";
/** `application_name` of the listening connection: find it in `pg_stat_activity`. */
export const LISTEN_APPLICATION_NAME = "expressync-listen";
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const NOTIFY_MAX_BYTES = 7999;

const TOPICS: ReadonlySet<string> = new Set<Topic>([
  "scan.intercepted",
  "scan.cancelled",
  "transaction.meter",
]);

/** What one notification carries: the sender, the topic, and the payload or its stored id. */
interface Envelope {
  from: string;
  topic: Topic;
  payload?: unknown;
  id?: number;
}

export interface PgEventBusOptions {
  /** Where the listening connection goes (the app's `DATABASE_URL`). */
  url: string;
  /** Sends the NOTIFYs and stores large payloads (the app's pool). */
  db: Database;
  clock: Clock;
  /** This instance: notifications it sent itself are not delivered again. */
  instanceId: string;
  log: Logger;
  onListenerError?: (topic: Topic, error: unknown) => void;
  /** First and longest wait before reconnecting the listener. */
  reconnectMs?: { base: number; max: number };
}

const encoder = new TextEncoder();

export function createPgEventBus(options: PgEventBusOptions): EventBus {
  const local = createEventBus({ onListenerError: options.onListenerError });
  const resyncs = new Set<() => void>();
  const { log } = options;
  const reconnect = options.reconnectMs ?? { base: 100, max: 5_000 };

  // Outgoing: NOTIFYs leave in publish order, a batch per statement while one is in flight.
  let outbox: Array<{ topic: Topic; payload: unknown }> = [];
  let sending: Promise<void> | null = null;
  const flush = async () => {
    while (outbox.length > 0) {
      const batch = outbox;
      outbox = [];
      try {
        const messages = await Promise.all(batch.map(encode));
        await options.db.rows(sql`
          select pg_notify(${BUS_CHANNEL}, m)
          from jsonb_array_elements_text(${JSON.stringify(messages)}::jsonb) as m`);
      } catch (error) {
        log.warn("events not sent to the other instances", {
          events: batch.length,
          error: errorSummary(error),
        });
      }
    }
    sending = null;
  };
  const encode = async (event: { topic: Topic; payload: unknown }): Promise<string> => {
    const inline = JSON.stringify({ from: options.instanceId, ...event } satisfies Envelope);
    if (encoder.encode(inline).length <= NOTIFY_MAX_BYTES) return inline;
    const id = await insertBusPayload(options.db, {
      topic: event.topic,
      payload: JSON.stringify(event.payload),
      now: options.clock.now(),
    });
    return JSON.stringify({ from: options.instanceId, topic: event.topic, id } satisfies Envelope);
  };

  // Incoming: delivered one after another, so a payload read by id is not overtaken.
  let delivering = Promise.resolve();
  const receive = (text: string) => {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text);
    } catch {
      log.warn("unreadable notification ignored");
      return;
    }
    if (envelope.from === options.instanceId || !TOPICS.has(envelope.topic)) return;
    delivering = delivering.then(async () => {
      let payload = envelope.payload;
      if (envelope.id !== undefined) {
        const stored = await getBusPayload(options.db, envelope.id);
        if (!stored) return log.warn("event payload gone before it was read", { id: envelope.id });
        payload = JSON.parse(stored.payload);
      }
      local.publish(envelope.topic, payload as EventMap[Topic]);
    }).catch((error) =>
      log.warn("event from another instance lost", { error: errorSummary(error) })
    );
  };

  // The listening connection: connect, LISTEN, and after a loss do it again.
  let client: pg.Client | null = null;
  let stopped = false;
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connected = 0;
  const listen = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: options.url,
      application_name: LISTEN_APPLICATION_NAME,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    c.on("notification", (message) => {
      if (message.channel === BUS_CHANNEL && message.payload) receive(message.payload);
    });
    c.on("error", (error) => lost(c, error));
    c.on("end", () => lost(c, null));
    client = c;
    try {
      await c.connect();
      await c.query(`listen ${BUS_CHANNEL}`);
    } catch (error) {
      lost(c, error);
      return;
    }
    if (client !== c) return;
    failures = 0;
    if (connected++ > 0) {
      log.info("event listener reconnected: streams resync");
      for (const fn of [...resyncs]) {
        try {
          fn();
        } catch (error) {
          log.warn("resync listener failed", { error: errorSummary(error) });
        }
      }
    }
  };
  const lost = (c: pg.Client, error: unknown) => {
    if (client !== c) return; // an old connection's late events
    client = null;
    c.end().catch(() => {});
    if (stopped) return;
    failures++;
    const waitMs = exponentialBackoffMs({
      attempts: failures,
      baseMs: reconnect.base,
      maxMs: reconnect.max,
      jitter: 0.2,
    });
    log.warn("event listener lost its connection; reconnecting", {
      waitMs,
      ...(error ? { error: errorSummary(error) } : {}),
    });
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      listen();
    }, waitMs);
  };

  return {
    publish(topic, payload) {
      local.publish(topic, payload);
      outbox.push({ topic, payload });
      sending ??= flush();
    },
    subscribe: local.subscribe,
    listenerCount: local.listenerCount,
    onResync(fn) {
      resyncs.add(fn);
      return () => {
        resyncs.delete(fn);
      };
    },
    async start() {
      stopped = false;
      await listen();
      return async () => {
        stopped = true;
        clearTimeout(retryTimer);
        const c = client;
        client = null;
        await c?.end().catch(() => {});
        await sending;
        await delivering;
      };
    },
  };
}
