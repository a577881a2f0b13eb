/**
 * One HTTP attempt to a partner (issue 13 §2–§4): `POST`, never a redirect
 * followed, one deadline over resolving, connecting, the headers and at most
 * `maxResponseBytes` of the body (read, then discarded — never stored or logged).
 *
 * The name is resolved once, every address is checked by the SSRF guard, and the
 * socket goes to a checked address: `node:http(s)` is given a `lookup` that
 * answers only those addresses, so the Host header and the TLS server name (and
 * certificate check) stay the URL's name while no second DNS lookup — which DNS
 * rebinding could answer differently — ever happens. (`fetch` cannot be pinned:
 * `Deno.createHttpClient` has no resolver option.)
 */
import http from "node:http";
import https from "node:https";
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { checkDestination, errorCode, type ResolveHostname } from "./destination.ts";

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  /** Sent as is; `Content-Length` is set from it. */
  body: Uint8Array;
}

export interface SendOptions {
  /** `PARTNER_WEBHOOKS_ALLOW_LOCAL`: loopback, private ranges and `http:` allowed. */
  allowLocal: boolean;
  /** Budget of the whole attempt, resolving included. */
  timeoutMs: number;
  /** Defaults to {@link resolveWithSystem}. Called once per attempt. */
  resolve?: ResolveHostname;
  /** Response body bytes read at most before the socket is closed; 64 KiB by default. */
  maxResponseBytes?: number;
  /**
   * Keep the body read (at most `maxResponseBytes`) in the result: for a
   * caller whose contract puts the reason in the body (the email worker's
   * `{"error":"stale"}`). Off by default: a partner's body is never kept.
   */
  keepBody?: boolean;
  /** Extra trusted CA certificates (PEM), for tests with their own TLS server. */
  ca?: string;
}

export type SendResult =
  /**
   * Any status, 3xx included (its `Location` is never followed). `body`: the
   * first `maxResponseBytes` of the body, only with `keepBody`.
   */
  | { kind: "response"; status: number; retryAfter: string | null; ms: number; body?: Uint8Array }
  /** The SSRF guard refused the URL or an address: no connection was made. */
  | { kind: "blocked"; detail: string }
  | { kind: "timeout"; ms: number }
  /** DNS failure, refused/reset connection, TLS error: `error` is a short code. */
  | { kind: "network"; error: string; ms: number };

/** POSTs `body` to `url` with `headers`, once: the seam senders take, so tests may inject their own. */
export type SendOnce = (request: OutboundRequest) => Promise<SendResult>;

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Every address of `hostname` from the system resolver (getaddrinfo: honours
 * `/etc/hosts` and the host's DNS setup, like any other client on the machine;
 * `Deno.resolveDns` would skip both and needs a reachable DNS server).
 */
export async function resolveWithSystem(hostname: string): Promise<string[]> {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
}

/** Sends `request` once; never throws for anything the network or the partner does. */
export async function sendOnce(
  request: OutboundRequest,
  options: SendOptions,
): Promise<SendResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  try {
    const verdict = await Promise.race([
      checkDestination(request.url, {
        allowLocal: options.allowLocal,
        resolve: options.resolve ?? resolveWithSystem,
      }),
      deadline,
    ]);
    if (verdict === "timeout") return { kind: "timeout", ms: ms() };
    if (!verdict.ok) {
      return verdict.reason === "blocked_destination"
        ? { kind: "blocked", detail: verdict.detail }
        : { kind: "network", error: `dns ${verdict.detail}`, ms: ms() };
    }
    const attempt = post(verdict.url, verdict.addresses, request, options);
    const outcome = await Promise.race([attempt.done, deadline]);
    if (outcome === "timeout") {
      attempt.abort();
      return { kind: "timeout", ms: ms() };
    }
    if ("error" in outcome) return { kind: "network", error: outcome.error, ms: ms() };
    const { status, retryAfter, body } = outcome;
    return { kind: "response", status, retryAfter, ms: ms(), ...(body ? { body } : {}) };
  } finally {
    clearTimeout(timer);
  }
}

type PostOutcome =
  | { status: number; retryAfter: string | null; body?: Uint8Array }
  | { error: string };

/**
 * The POST itself to one of `addresses`. Settles when the body ended or reached
 * the cap, or on an error; `abort` (the deadline in {@link sendOnce}) destroys
 * the socket otherwise.
 */
function post(
  url: URL,
  addresses: string[],
  request: OutboundRequest,
  options: SendOptions,
): { done: Promise<PostOutcome>; abort: () => void } {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host) !== 0;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const family = (address: string) => (isIP(address) === 6 ? 6 : 4);
  // Answers only the vetted addresses, whatever name or options the client asks with.
  const lookup = (
    _hostname: string,
    lookupOptions: { all?: boolean } | ((...args: unknown[]) => void),
    callback?: (...args: unknown[]) => void,
  ) => {
    const cb = typeof lookupOptions === "function" ? lookupOptions : callback!;
    const all = typeof lookupOptions === "object" && lookupOptions?.all;
    if (all) cb(null, addresses.map((address) => ({ address, family: family(address) })));
    else cb(null, addresses[0], family(addresses[0]));
  };
  const client = url.protocol === "https:" ? https : http;
  let settled = false;
  let req: http.ClientRequest | undefined;
  const done = new Promise<PostOutcome>((resolve) => {
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      req?.destroy();
      resolve(outcome);
    };
    req = client.request(
      {
        method: "POST",
        host,
        port: url.port || undefined,
        path: url.pathname + url.search,
        headers: { ...request.headers, "content-length": String(request.body.byteLength) },
        agent: false,
        ...(literal ? {} : { lookup, servername: host }),
        ...(options.ca ? { ca: options.ca } : {}),
      } as https.RequestOptions,
      (res) => {
        const status = res.statusCode ?? 0;
        const header = res.headers["retry-after"];
        const retryAfter = typeof header === "string" ? header : null;
        let read = 0;
        const kept: Uint8Array[] = [];
        const answered = () => ({
          status,
          retryAfter,
          ...(options.keepBody ? { body: concatUpTo(kept, maxBytes) } : {}),
        });
        res.on("data", (chunk: Uint8Array) => {
          read += chunk.byteLength; // counted, and dropped unless the caller keeps the body
          if (options.keepBody) kept.push(chunk);
          if (read >= maxBytes) finish(answered());
        });
        res.on("end", () => finish(answered()));
        res.on("error", (error) => finish({ error: errorCode(error) }));
        res.on("aborted", () => finish({ error: "ECONNRESET" }));
      },
    );
    req.on("error", (error) => finish({ error: errorCode(error) }));
    req.end(request.body);
  });
  const abort = () => {
    settled = true;
    req?.destroy();
  };
  return { done, abort };
}

/** The chunks joined, cut at `limit` bytes. */
function concatUpTo(chunks: Uint8Array[], limit: number): Uint8Array {
  const total = Math.min(limit, chunks.reduce((n, c) => n + c.byteLength, 0));
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= total) break;
    const part = chunk.subarray(0, total - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
