/** Starts the real app on a loopback port for a test, and talks to it. */
import type { Database } from "../../db/client.ts";
import type { Clock } from "../../lib/clock.ts";
import { type Config, loadConfig } from "../../lib/config.ts";
import type { EventMap, Topic } from "../../lib/event_bus.ts";
import { buildDeps, type RunningServer, serve } from "../../server.ts";
import { type HmacSubtle, resetHmacKeyCache, signBody } from "../../lib/signed_request.ts";

export const PREAUTH_KEY = "preauth-test-key-0123456789abcdef0123456789";
export const METER_KEY = "metervalue-test-key-0123456789abcdef01234567";
export const HUBJECT_SECRET = "hubject-test-secret-0123456789abcdef";
export const HUBJECT_PREVIOUS_SECRET = "hubject-old-secret-0123456789abcdef";
export const ADMIN_TOKEN = "admin-test-token-0123456789abcdef";
/** `PREAUTH_DEADLINE_MS` of test apps (in process and as processes); see startTestApp. */
export const TEST_PREAUTH_DEADLINE_MS = "5000";

export interface TestApp extends RunningServer, AsyncDisposable {
  /** Every event published since start, in order. */
  events: Array<{ topic: Topic; payload: unknown }>;
  admin(method: string, path: string, body?: unknown): Promise<Response>;
}

export async function startTestApp(options: {
  db: Database;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  subtle?: HmacSubtle;
  sseHeartbeatMs?: number;
}): Promise<TestApp> {
  resetHmacKeyCache();
  const config: Config = loadConfig({
    STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
    STEVE_METERVALUE_HMAC_KEY: METER_KEY,
    HUBJECT_WEBHOOK_SECRET: HUBJECT_SECRET,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    PUBLIC_BASE_URL: "http://charge.example.test",
    // SteVe's 150 ms guard answers 500 when a loaded CI machine stalls a call; tests of
    // other behaviour must not fail on that (tests of the deadline set it themselves).
    PREAUTH_DEADLINE_MS: TEST_PREAUTH_DEADLINE_MS,
    ...options.env,
  });
  const deps = await buildDeps({
    config,
    db: options.db,
    clock: options.clock,
    subtle: options.subtle,
    sseHeartbeatMs: options.sseHeartbeatMs,
  });
  const events: TestApp["events"] = [];
  for (
    const topic of [
      "scan.intercepted",
      "scan.cancelled",
      "transaction.meter",
    ] as Topic[]
  ) {
    deps.bus.subscribe(topic, (payload: EventMap[typeof topic]) => {
      events.push({ topic, payload });
    });
  }
  const running = serve(deps, { port: 0, hostname: "127.0.0.1" });
  return {
    ...running,
    events,
    admin: (method, path, body) =>
      fetch(running.url + path, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          "content-type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    [Symbol.asyncDispose]: () => running.close(),
  };
}

/** POSTs `body` (sent byte for byte) signed with `key` in X-Signature. */
export async function signedPost(
  url: string,
  key: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-signature": await signBody(key, body),
      ...headers,
    },
    body,
  });
}

/**
 * POSTs a Hubject Plug&Charge event to /api/pnc/webhooks, signed as Hubject
 * does: `sha256=<hex>` in X-Hubject-Signature unless told otherwise.
 */
export async function pncPost(
  app: { url: string },
  body: unknown,
  options: { secret?: string; header?: string; bareHex?: boolean } = {},
): Promise<Response> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const hex = await signBody(options.secret ?? HUBJECT_SECRET, raw);
  return await fetch(`${app.url}/api/pnc/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [options.header ?? "X-Hubject-Signature"]: options.bareHex ? hex : `sha256=${hex}`,
    },
    body: raw,
  });
}

export const preAuthorize = (app: TestApp, body: unknown) =>
  signedPost(
    `${app.url}/api/ocpp/pre-authorize`,
    PREAUTH_KEY,
    JSON.stringify(body),
  );

export const meterValues = (app: TestApp, body: unknown) =>
  signedPost(
    `${app.url}/api/ocpp/meter-values`,
    METER_KEY,
    JSON.stringify(body),
  );

/** Status, content type and JSON body of a response, in that order of checking. */
// deno-lint-ignore no-explicit-any
type Json = any;
export async function jsonOf(
  response: Response,
): Promise<{ status: number; type: string; body: Json }> {
  const type = response.headers.get("content-type") ?? "";
  const body = type.includes("json") ? await response.json() : await response.text();
  return { status: response.status, type, body };
}

let counter = 0;
/** A fresh identifier for this test run, so cases never share rows. */
export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++counter}`;

/** A browser as far as cookies go: keeps what the app sets and sends it back. */
export class CookieClient {
  readonly cookies = new Map<string, string>();
  /** Raw Set-Cookie headers received, for attribute checks. */
  readonly setCookies: string[] = [];
  constructor(
    readonly baseUrl: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** A JSON request (or none), redirects followed. */
  request(method: string, path: string, body?: unknown): Promise<Response> {
    return this.send(path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** Submits an HTML form (urlencoded); redirects are not followed. */
  form(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    return this.send(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    });
  }

  /** GET without following redirects. */
  get(path: string): Promise<Response> {
    return this.send(path, { method: "GET", redirect: "manual" });
  }

  async send(path: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(this.baseUrl + path, {
      ...init,
      headers: {
        ...this.headers,
        ...(cookie ? { cookie } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    for (const header of res.headers.getSetCookie()) {
      this.setCookies.push(header);
      const [pair] = header.split(";");
      const eq = pair.indexOf("=");
      const [name, value] = [
        pair.slice(0, eq).trim(),
        pair.slice(eq + 1).trim(),
      ];
      if (value === "" || /max-age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/** Creates a charger through the admin API and returns its QR token. */
export async function createCharger(
  app: TestApp,
  chargeBoxId: string,
  name = "Bay 1",
) {
  const res = await app.admin(
    "PUT",
    `/api/admin/chargers/${encodeURIComponent(chargeBoxId)}`,
    {
      name,
    },
  );
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`charger: ${res.status}`);
  }
  const charger = await res.json();
  return { ...charger, token: new URL(charger.qrUrl).searchParams.get("k")! };
}

/** Logs a new browser in as the owner of `idTag` through scan-to-login at a fresh charger. */
export async function loginCustomerByScan(
  app: TestApp,
  idTag: string,
): Promise<CookieClient> {
  const chargeBoxId = uniqueId("LOGIN");
  const { token } = await createCharger(app, chargeBoxId);
  const browser = new CookieClient(app.url);
  const armed = await (await browser.request("POST", "/api/auth/scan-pair", {
    chargeBoxId,
    k: token,
  })).json();
  await (await preAuthorize(app, { idTag, chargeBoxId })).body?.cancel();
  const login = await browser.request("POST", "/api/auth/scan-login", {
    pairId: armed.pairId,
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  await login.body?.cancel();
  return browser;
}

/** The cookie header a CookieClient would send. */
export const cookieHeader = (client: CookieClient) => ({
  cookie: [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
});
