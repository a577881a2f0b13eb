/**
 * In-process event bus with typed topics.
 *
 * `publish` never throws into a request: each listener runs isolated, and a
 * failing one is reported, not propagated. Publishers only see
 * {@link EventPublisher}; with `DATABASE_URL` set, lib/pg_event_bus.ts wraps
 * this bus and carries every event to the other instances over PostgreSQL
 * LISTEN/NOTIFY behind the same interface.
 */

/** `scan.intercepted`: a pre-authorize stole an armed scan-pair. */
export interface ScanIntercepted {
  pairId: string;
  chargeBoxId: string;
}

/** `scan.cancelled`: the browser holding a pair cancelled it. */
export interface ScanCancelled {
  pairId: string;
}

/** `transaction.meter`: a meter-values call changed a live session. */
export interface TransactionMeter {
  transactionPk: number;
  chargeBoxId: string;
  /** The charger's display name, when an admin gave it one. */
  chargerName: string | null;
  connectorId: number;
  customerId: string | null;
  customerName: string | null;
  kwh: number;
  kw: number | null;
  /** ISO time of the newest reading. */
  at: string;
  endedAt: string | null;
  startedAt: string;
  /** Increases with every change of the session: lets streams drop late, older events. */
  version: number;
}

export interface EventMap {
  "scan.intercepted": ScanIntercepted;
  "scan.cancelled": ScanCancelled;
  "transaction.meter": TransactionMeter;
}
export type Topic = keyof EventMap;
export type Listener<K extends Topic> = (
  payload: EventMap[K],
) => void | Promise<void>;
export type Unsubscribe = () => void;

export interface EventPublisher {
  publish<K extends Topic>(topic: K, payload: EventMap[K]): void;
}

export interface EventBus extends EventPublisher {
  subscribe<K extends Topic>(topic: K, listener: Listener<K>): Unsubscribe;
  /** Live subscriptions on a topic (tests check streams do not leak them). */
  listenerCount(topic: Topic): number;
  /**
   * Runs `fn` whenever events from other instances may have been missed (the
   * listening connection was lost and is back): a stream then re-sends its
   * snapshot. The in-process bus misses nothing and never calls it.
   */
  onResync(fn: () => void): Unsubscribe;
  /** Connects the transport (in process: nothing to do); the returned function disconnects it. */
  start(): Promise<() => Promise<void>>;
}

export interface EventBusOptions {
  /** Told about every listener that throws or rejects. */
  onListenerError?: (topic: Topic, error: unknown) => void;
}

export function createEventBus(options: EventBusOptions = {}): EventBus {
  const listeners = new Map<Topic, Set<Listener<Topic>>>();
  const report = (topic: Topic, error: unknown) => {
    try {
      options.onListenerError?.(topic, error);
    } catch { /* a broken reporter must not break publishing either */ }
  };
  return {
    publish(topic, payload) {
      const set = listeners.get(topic);
      if (!set) return;
      // Iterate a copy: a listener may unsubscribe itself while we deliver.
      for (const listener of [...set]) {
        try {
          const result = (listener as Listener<typeof topic>)(payload);
          if (result instanceof Promise) {
            result.catch((error) => report(topic, error));
          }
        } catch (error) {
          report(topic, error);
        }
      }
    },
    subscribe(topic, listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, set = new Set());
      const entry = listener as Listener<Topic>;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    listenerCount(topic) {
      return listeners.get(topic)?.size ?? 0;
    },
    onResync: () => () => {},
    start: () => Promise.resolve(() => Promise.resolve()),
  };
}
