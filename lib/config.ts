/**
 * Configuration from the environment, validated once at start.
 *
 * A hook key that is missing or weak never stops the app: that hook answers
 * 401 and the start says so loudly (runbook: SteVe fails open, charging goes
 * on). Any other invalid value stops the start, naming the variable.
 */
import { Cron } from "croner";
import { z } from "zod";
import {
  ENV_SIGNED_ENDPOINT_LIST,
  type EnvSignedEndpointId,
  type SignedEndpoint,
} from "./signed_endpoints.ts";

/** Shortest hook secret we accept (runbook step 2: at least 32 characters). */
export const MIN_HOOK_KEY_LENGTH = 32;

export type HookKeyProblem = "missing_key" | "weak_key";

/**
 * The `_NEXT` secret of an endpoint whose rotation brings in a new key (issue
 * 15 §3), when its variable is set: usable, or too short (then not used).
 */
export type NextHookKey =
  | { readonly usable: true; readonly secret: string }
  | { readonly usable: false; readonly problem: "weak_key" };

/**
 * A signed endpoint's secrets as configured: usable (the current secret, and
 * `previous` only when the endpoint has rotation variables that are set), or
 * why not. `next` is there whenever its variable is set, even when the
 * current secret is unusable (nothing verifies then, but the page shows it).
 */
export type HookKey =
  | {
    readonly usable: true;
    readonly secret: string;
    readonly previous?: readonly string[];
    readonly next?: NextHookKey;
  }
  | { readonly usable: false; readonly problem: HookKeyProblem; readonly next?: NextHookKey };

export interface Config {
  port: number;
  publicBaseUrl: string;
  databaseUrl?: string;
  dataDir: string;
  databaseDriver: "pg" | "postgres-js";
  databasePoolSize: number;
  /** Per entry of lib/signed_endpoints.ts whose secrets are environment variables. */
  hooks: { [K in EnvSignedEndpointId]: HookKey };
  adminApiToken?: string;
  scanPairTtlSeconds: number;
  scanPairRatePerMinute: number;
  trustProxy: boolean;
  preAuthEnabled: boolean;
  /** Pre-authorize answers 500 rather than later than this (SteVe gives up at ~200 ms). */
  preAuthDeadlineMs: number;
  /** First admin, created at start when both are set and that email has no account. */
  adminEmail?: string;
  adminPassword?: string;
  sseStreamsPerLogin: number;
  /** Lago: base URL without `/api/v1`, and the API key; both or neither. */
  lago?: { apiUrl: string; apiKey: string };
  lagoMetricCode: string;
  lagoMetricField: string;
  /** Timeout of one Lago request; a worker's lease on its batch lasts three times as long. */
  lagoTimeoutMs: number;
  /** SteVe's REST API (3.8+): base URL ending in `/api`, HTTP Basic credentials. */
  steveApi?: { url: string; user: string; password: string };
  reconcileCron: string;
  reconcileLookbackHours: number;
  /** Partner webhooks may go to `http:` URLs (and, with the SSRF guard, local addresses). */
  partnerWebhooksAllowLocal: boolean;
  /** One partner webhook attempt: connect, headers and at most 64 KiB of the answer. */
  partnerWebhookTimeoutMs: number;
  /** Seconds between attempts of a partner delivery (each ±20 %); after the last, failed. */
  partnerWebhookRetrySchedule: number[];
  /**
   * Delivered and failed partner deliveries are deleted this many days after
   * their last attempt: `PARTNER_DELIVERIES_RETENTION_DAYS` (default 30), never
   * more than {@link Config.retentionDays}.
   */
  partnerDeliveriesRetentionDays: number;
  /**
   * `RETENTION_DAYS` (default 90): the longest settled history is kept.
   * Delivered usage events, meter samples and inbound events older than this
   * are deleted by maintenance (lib/retention.ts).
   */
  retentionDays: number;
  /**
   * The Cloudflare email worker (issue 14): its base URL and the key that signs
   * every send (equal to the worker's `POLARIS_SECRET_A` or `_B`). Unset: mail
   * waits in the outbox, nothing is lost, the email page says why.
   */
  emailWorker?: { url: string; hmacKey: string };
  /**
   * Operator alerts go to each of these (`ALERT_EMAIL`, comma-separated, no
   * duplicates). Empty: alerts are still tracked, nothing is mailed.
   */
  alertEmails: string[];
  logLevel: "debug" | "info" | "warning" | "error";
}

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = "ConfigError";
  }
}

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) =>
  v === "true" || v === "1" || v === "yes"
);
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/** Partner deliveries' retention when `PARTNER_DELIVERIES_RETENTION_DAYS` is unset (capped by RETENTION_DAYS). */
export const DEFAULT_PARTNER_DELIVERIES_RETENTION_DAYS = 30;

/** Standard Webhooks' schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const DEFAULT_PARTNER_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,50400,72000,86400";

const ENV_SCHEMA = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: z.string().regex(
    /^postgres(ql)?:\/\//,
    "must be a postgres:// URL",
  ).optional(),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_DRIVER: z.enum(["pg", "postgres-js"]).default("pg"),
  DATABASE_POOL_SIZE: positiveInt(200).default(10),
  ADMIN_API_TOKEN: z.string().min(16, "must be at least 16 characters")
    .optional(),
  SCAN_PAIR_TTL_SECONDS: positiveInt(3600).default(90),
  SCAN_PAIR_RATE_PER_MINUTE: positiveInt(10_000).default(10),
  TRUST_PROXY: bool.default(false),
  PREAUTH_ENABLED: bool.default(true),
  PREAUTH_DEADLINE_MS: positiveInt(10_000).default(150),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters")
    .optional(),
  SSE_STREAMS_PER_LOGIN: positiveInt(1000).default(10),
  LAGO_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  LAGO_API_KEY: z.string().min(1).optional(),
  LAGO_METRIC_CODE: z.string().min(1).max(100).default("kwh"),
  LAGO_METRIC_FIELD: z.string().min(1).max(100).default("kwh"),
  LAGO_TIMEOUT_SECONDS: positiveInt(300).default(10),
  STEVE_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  STEVE_API_USER: z.string().min(1).optional(),
  STEVE_API_PASSWORD: z.string().min(1).optional(),
  RECONCILE_CRON: z.string().min(1).default("*/5 * * * *"),
  RECONCILE_LOOKBACK_HOURS: positiveInt(24 * 60).default(48),
  PARTNER_WEBHOOKS_ALLOW_LOCAL: bool.default(false),
  PARTNER_WEBHOOK_TIMEOUT_SECONDS: positiveInt(300).default(10),
  PARTNER_WEBHOOK_RETRY_SCHEDULE: z.string().regex(
    /^\s*\d+\s*(,\s*\d+\s*)*$/,
    "must be seconds separated by commas, e.g. 5,300,1800",
  ).default(DEFAULT_PARTNER_RETRY_SCHEDULE),
  // No default here: unset, it is 30 days, or RETENTION_DAYS when that is shorter.
  PARTNER_DELIVERIES_RETENTION_DAYS: positiveInt(3650).optional(),
  RETENTION_DAYS: positiveInt(3650).default(90),
  EMAIL_WORKER_URL: z.url({ protocol: /^https?$/ }).optional(),
  EMAIL_WORKER_HMAC_KEY: z.string().min(
    MIN_HOOK_KEY_LENGTH,
    `must be at least ${MIN_HOOK_KEY_LENGTH} characters`,
  ).optional(),
  ALERT_EMAIL: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warning", "error"]).default("info"),
});

/** The shortest secret `endpoint` accepts: its own minimum, else {@link MIN_HOOK_KEY_LENGTH}. */
export function minSecretLength(
  endpoint: Pick<SignedEndpoint, "secretVariables" | "minSecretLength">,
): number {
  return endpoint.minSecretLength ?? MIN_HOOK_KEY_LENGTH;
}

/** Reads a hook secret; never falls back to another hook's variable. */
export function readHookKey(
  value: string | undefined,
  minLength: number = MIN_HOOK_KEY_LENGTH,
): HookKey {
  if (value === undefined || value.trim() === "") {
    return { usable: false, problem: "missing_key" };
  }
  if (value.length < minLength) {
    return { usable: false, problem: "weak_key" };
  }
  return { usable: true, secret: value };
}

/**
 * Reads an endpoint's secrets from its own variables, never another's. A
 * missing or weak current secret makes it unusable (401 to every call, not a
 * failed start). A `previous` variable that is set but weak is a
 * {@link ConfigError}; a `next` one is handled as the current secret's
 * weakness is: not used, never a failed start (the start logs it).
 */
export function readEndpointSecrets(
  endpoint: {
    readonly secretVariables: readonly [string, ...string[]];
    minSecretLength?: number;
    rotation?: "previous" | "next";
  },
  env: Record<string, string | undefined>,
): HookKey {
  const [current, ...rotation] = endpoint.secretVariables;
  const minLength = minSecretLength(endpoint);
  const key = readHookKey(env[current], minLength);
  if (endpoint.rotation === "next") {
    const next = rotation.length ? readHookKey(env[rotation[0]], minLength) : undefined;
    if (!next || (!next.usable && next.problem === "missing_key")) return key;
    return {
      ...key,
      next: next.usable
        ? { usable: true, secret: next.secret }
        : { usable: false, problem: "weak_key" },
    };
  }
  const previous: string[] = [];
  for (const variable of rotation) {
    const extra = readHookKey(env[variable], minLength);
    if (extra.usable) previous.push(extra.secret);
    else if (extra.problem === "weak_key") {
      throw new ConfigError(variable, `must be at least ${minLength} characters`);
    }
  }
  if (!key.usable || previous.length === 0) return key;
  return { ...key, previous };
}

/** Validates the environment; throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as they do in most .env tooling.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = ENV_SCHEMA.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  if (!e.LAGO_API_URL !== !e.LAGO_API_KEY) {
    throw new ConfigError(
      e.LAGO_API_URL ? "LAGO_API_KEY" : "LAGO_API_URL",
      "set both Lago variables, or neither",
    );
  }
  if (e.STEVE_API_URL && (!e.STEVE_API_USER || !e.STEVE_API_PASSWORD)) {
    throw new ConfigError(
      e.STEVE_API_USER ? "STEVE_API_PASSWORD" : "STEVE_API_USER",
      "required with STEVE_API_URL",
    );
  }
  const retrySchedule = e.PARTNER_WEBHOOK_RETRY_SCHEDULE.split(",").map((n) => Number(n.trim()));
  if (retrySchedule.length > 20 || retrySchedule.some((n) => n < 1 || n > 7 * 86_400)) {
    throw new ConfigError(
      "PARTNER_WEBHOOK_RETRY_SCHEDULE",
      "must be 1 to 20 steps, each 1 to 604800 seconds",
    );
  }
  // A worker URL without its key could only ever be refused (fail-closed): refuse the start instead.
  if (e.EMAIL_WORKER_URL && !e.EMAIL_WORKER_HMAC_KEY) {
    throw new ConfigError("EMAIL_WORKER_HMAC_KEY", "required with EMAIL_WORKER_URL");
  }
  // RETENTION_DAYS is the ceiling: a longer partner setting would silently lose its meaning.
  if (
    e.PARTNER_DELIVERIES_RETENTION_DAYS !== undefined &&
    e.PARTNER_DELIVERIES_RETENTION_DAYS > e.RETENTION_DAYS
  ) {
    throw new ConfigError(
      "PARTNER_DELIVERIES_RETENTION_DAYS",
      `must not exceed RETENTION_DAYS (${e.RETENTION_DAYS})`,
    );
  }
  const alertEmails = parseAlertEmails(e.ALERT_EMAIL);
  if (!isValidCron(e.RECONCILE_CRON)) {
    throw new ConfigError("RECONCILE_CRON", "not a cron expression");
  }
  return {
    port: e.PORT,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(
      /\/+$/,
      "",
    ),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    databaseDriver: e.DATABASE_DRIVER,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    hooks: Object.fromEntries(
      ENV_SIGNED_ENDPOINT_LIST.map(([id, endpoint]) => [id, readEndpointSecrets(endpoint, env)]),
    ) as Config["hooks"],
    adminApiToken: e.ADMIN_API_TOKEN,
    scanPairTtlSeconds: e.SCAN_PAIR_TTL_SECONDS,
    scanPairRatePerMinute: e.SCAN_PAIR_RATE_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    preAuthEnabled: e.PREAUTH_ENABLED,
    preAuthDeadlineMs: e.PREAUTH_DEADLINE_MS,
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    sseStreamsPerLogin: e.SSE_STREAMS_PER_LOGIN,
    lago: e.LAGO_API_URL && e.LAGO_API_KEY
      ? { apiUrl: e.LAGO_API_URL.replace(/\/+$/, ""), apiKey: e.LAGO_API_KEY }
      : undefined,
    lagoMetricCode: e.LAGO_METRIC_CODE,
    lagoMetricField: e.LAGO_METRIC_FIELD,
    lagoTimeoutMs: e.LAGO_TIMEOUT_SECONDS * 1000,
    steveApi: e.STEVE_API_URL
      ? {
        url: e.STEVE_API_URL.replace(/\/+$/, ""),
        user: e.STEVE_API_USER!,
        password: e.STEVE_API_PASSWORD!,
      }
      : undefined,
    reconcileCron: e.RECONCILE_CRON,
    reconcileLookbackHours: e.RECONCILE_LOOKBACK_HOURS,
    partnerWebhooksAllowLocal: e.PARTNER_WEBHOOKS_ALLOW_LOCAL,
    partnerWebhookTimeoutMs: e.PARTNER_WEBHOOK_TIMEOUT_SECONDS * 1000,
    partnerWebhookRetrySchedule: retrySchedule,
    partnerDeliveriesRetentionDays: e.PARTNER_DELIVERIES_RETENTION_DAYS ??
      Math.min(DEFAULT_PARTNER_DELIVERIES_RETENTION_DAYS, e.RETENTION_DAYS),
    retentionDays: e.RETENTION_DAYS,
    emailWorker: e.EMAIL_WORKER_URL
      ? { url: e.EMAIL_WORKER_URL.replace(/\/+$/, ""), hmacKey: e.EMAIL_WORKER_HMAC_KEY! }
      : undefined,
    alertEmails,
    logLevel: e.LOG_LEVEL,
  };
}

/** Most recipients `ALERT_EMAIL` may name: each alert is one mail per recipient. */
export const MAX_ALERT_RECIPIENTS = 20;
const AlertAddress = z.email().max(320);

/**
 * `ALERT_EMAIL`: addresses separated by commas, blanks around them ignored,
 * repeats (case aside) dropped. A bad entry is a {@link ConfigError} naming
 * its position, not the value (addresses stay out of logs).
 */
function parseAlertEmails(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  const seen = new Set<string>();
  const entries = value.split(",").map((v) => v.trim());
  for (const [i, entry] of entries.entries()) {
    if (entry === "" && entries.length > 1) continue;
    if (!AlertAddress.safeParse(entry).success) {
      throw new ConfigError("ALERT_EMAIL", `entry ${i + 1} is not an email address`);
    }
    if (seen.has(entry.toLowerCase())) continue;
    seen.add(entry.toLowerCase());
    out.push(entry);
  }
  if (out.length > MAX_ALERT_RECIPIENTS) {
    throw new ConfigError("ALERT_EMAIL", `at most ${MAX_ALERT_RECIPIENTS} addresses`);
  }
  return out;
}

function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
