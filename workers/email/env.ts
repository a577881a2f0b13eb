/**
 * What the Cloudflare runtime hands the worker, typed by hand: only the few
 * members used here, so neither `deno check` nor the bundle needs the
 * Cloudflare type package.
 */

/** The worker's bindings (wrangler.toml `[vars]`, secrets, and the Durable Object). */
export interface EmailWorkerEnv {
  /** Secret the app signs with; shorter than 32 characters counts as unset. */
  POLARIS_SECRET_A?: string;
  /** Second secret, accepted besides A during a rotation. */
  POLARIS_SECRET_B?: string;
  /** Base URL of the Resend-shaped email API (`POST <url>/emails`). */
  EMAIL_API_URL?: string;
  /** Bearer token of that API. */
  EMAIL_API_KEY?: string;
  /** The sender of every mail; never taken from a request. */
  EMAIL_FROM?: string;
  /** Provider timeout in milliseconds (default 10000; tests shorten it). */
  EMAIL_API_TIMEOUT_MS?: string;
  /** Nonce and message-id deduplication, one class (workers/email/dedup.ts). */
  EMAIL_NONCE_DEDUP: DurableObjectNamespaceLike;
}

/** `env.EMAIL_NONCE_DEDUP`: a Durable Object namespace. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

/** The part of a Durable Object's transactional storage that dedup uses. */
export interface DedupStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(keys: string[]): Promise<number>;
  list<T>(): Promise<Map<string, T>>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** The state a Durable Object's constructor receives. */
export interface DurableObjectStateLike {
  storage: DedupStorage;
}
