/**
 * Runs the email worker in the real `workerd` runtime through npm `miniflare`,
 * on this machine: for `deno task email-worker` (workers/email/dev.ts) and for
 * tests, which start it on port 0 against a fake email API on loopback.
 * This module is Deno-side tooling; the worker itself is worker.ts.
 */
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";

const ENTRY = new URL("./worker.ts", import.meta.url);
const WRANGLER_TOML = new URL("./wrangler.toml", import.meta.url);

/** What the worker is started with; each maps to a binding of wrangler.toml. */
export interface EmailWorkerOptions {
  /** `POLARIS_SECRET_A`. */
  secretA?: string;
  /** `POLARIS_SECRET_B`. */
  secretB?: string;
  /** `EMAIL_API_URL`: base of the Resend-shaped API (the worker posts to `<url>/emails`). */
  emailApiUrl?: string;
  /** `EMAIL_API_KEY`. */
  emailApiKey?: string;
  /** `EMAIL_FROM`. */
  emailFrom?: string;
  /** `EMAIL_API_TIMEOUT_MS` (default 10000). */
  emailApiTimeoutMs?: number;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Folder for the Durable Objects' state; unset keeps it in memory until close. */
  persistDir?: string;
  /** Each line the worker logs (JSON); default: written to stderr. */
  onLog?: (line: string) => void;
}

/** A worker running in workerd. */
export interface RunningEmailWorker extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, no trailing slash: the app's `EMAIL_WORKER_URL`. */
  url: string;
  /** Stops workerd (and forgets in-memory state). */
  close(): Promise<void>;
}

let bundled: Promise<string> | undefined;

/**
 * worker.ts and its relative imports as one ES module, as wrangler would
 * build it for Cloudflare; bundled once per process.
 */
export function bundleEmailWorker(): Promise<string> {
  bundled ??= (async () => {
    const { success, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform=browser", ENTRY.pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) {
      bundled = undefined;
      throw new Error(`bundling the email worker failed: ${new TextDecoder().decode(stderr)}`);
    }
    return new TextDecoder().decode(stdout);
  })();
  return bundled;
}

/** `compatibility_date` of wrangler.toml: local runs use the date Cloudflare does. */
export async function compatibilityDate(): Promise<string> {
  const toml = await Deno.readTextFile(WRANGLER_TOML);
  const date = toml.match(/^compatibility_date\s*=\s*"(\d{4}-\d{2}-\d{2})"/m)?.[1];
  if (!date) throw new Error("workers/email/wrangler.toml has no compatibility_date");
  return date;
}

/** Forwards each complete line of a Node stream to `onLine`. */
function eachLine(stream: Readable, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let pending = "";
  stream.on("data", (chunk: Uint8Array) => {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (line.trim() !== "") onLine(line);
  });
}

/**
 * Starts the worker in workerd and resolves once it accepts requests
 * (first start 3–5 s, later ones well under a second).
 */
export async function startEmailWorker(
  options: EmailWorkerOptions = {},
): Promise<RunningEmailWorker> {
  const bindings: Record<string, string> = {};
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined) bindings[name] = String(value);
  };
  set("POLARIS_SECRET_A", options.secretA);
  set("POLARIS_SECRET_B", options.secretB);
  set("EMAIL_API_URL", options.emailApiUrl);
  set("EMAIL_API_KEY", options.emailApiKey);
  set("EMAIL_FROM", options.emailFrom);
  set("EMAIL_API_TIMEOUT_MS", options.emailApiTimeoutMs);
  const onLog = options.onLog ?? ((line: string) => console.error(line));

  const mf = new Miniflare({
    modules: true,
    script: await bundleEmailWorker(),
    compatibilityDate: await compatibilityDate(),
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 0,
    bindings,
    durableObjects: { EMAIL_NONCE_DEDUP: "EmailDedup" },
    durableObjectsPersist: options.persistDir ?? false,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      eachLine(stdout, onLog);
      eachLine(stderr, onLog);
    },
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= mf.dispose());
  return {
    url: url.origin,
    close,
    [Symbol.asyncDispose]: close,
  };
}
