/**
 * Every request body is bounded before it is read, one limit per family:
 * exactly the limit is read, one byte more (declared or chunked) is 413 and
 * changes nothing; many large chunked bodies at once leave memory bounded.
 */
import assert from "node:assert/strict";
import { AppError } from "../lib/errors.ts";
import { BODY_LIMITS, readBoundedBody } from "../lib/http/request_body.ts";
import { signBody } from "../lib/signed_request.ts";
import { bodyOf } from "./_support/bodies.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import { ADMIN_TOKEN, jsonOf, PREAUTH_KEY, startTestApp, type TestApp } from "./_support/app.ts";

interface Family {
  name: string;
  limit: number;
  path: string;
  method: string;
  headers: (body: string) => Promise<Record<string, string>>;
  /** The answer to an oversized body: JSON for APIs, a page for forms. */
  html?: boolean;
}

const FAMILIES: Family[] = [
  {
    name: "SteVe hook",
    limit: BODY_LIMITS.steveHook,
    path: "/api/ocpp/pre-authorize",
    method: "POST",
    headers: async (b) => ({
      "content-type": "application/json",
      "x-signature": await signBody(PREAUTH_KEY, b),
    }),
  },
  {
    name: "public JSON API",
    limit: BODY_LIMITS.json,
    path: "/api/auth/scan-pair",
    method: "POST",
    headers: () => Promise.resolve({ "content-type": "application/json" }),
  },
  {
    name: "public JSON API (scan-login)",
    limit: BODY_LIMITS.json,
    path: "/api/auth/scan-login",
    method: "POST",
    headers: () => Promise.resolve({ "content-type": "application/json" }),
  },
  {
    name: "admin JSON API",
    limit: BODY_LIMITS.json,
    path: "/api/admin/chargers/CB-LIMIT",
    method: "PUT",
    headers: () =>
      Promise.resolve({
        "content-type": "application/json",
        authorization: `Bearer ${ADMIN_TOKEN}`,
      }),
  },
  {
    name: "admin JSON API (mail retry)",
    limit: BODY_LIMITS.json,
    path: "/api/admin/email/retry",
    method: "POST",
    headers: () =>
      Promise.resolve({
        "content-type": "application/json",
        authorization: `Bearer ${ADMIN_TOKEN}`,
      }),
  },
  {
    name: "HTML form (customer sign-in by email)",
    limit: BODY_LIMITS.form,
    path: "/login",
    method: "POST",
    headers: () => Promise.resolve({ "content-type": "application/x-www-form-urlencoded" }),
    html: true,
  },
  {
    name: "HTML form",
    limit: BODY_LIMITS.form,
    path: "/admin/login",
    method: "POST",
    headers: () => Promise.resolve({ "content-type": "application/x-www-form-urlencoded" }),
    html: true,
  },
];

async function send(app: TestApp, f: Family, size: number, chunked: boolean) {
  const text = "x".repeat(size);
  return await fetch(app.url + f.path, {
    method: f.method,
    headers: await f.headers(text),
    body: bodyOf(size, chunked),
  });
}

forEachDatabase("body limits", async (t, db) => {
  await using app = await startTestApp({ db });
  for (const f of FAMILIES) {
    for (const chunked of [false, true]) {
      const how = chunked ? "chunked" : "declared";
      await t.step(
        `${f.name}: one byte over ${f.limit} (${how}) is 413, nothing written`,
        async () => {
          const before = await databaseFingerprint(db);
          const events = app.events.length;
          const res = await send(app, f, f.limit + 1, chunked);
          assert.equal(res.status, 413);
          if (f.html) {
            assert.match(res.headers.get("content-type") ?? "", /text\/html/);
            assert.match(await res.text(), /too large/i);
          } else {
            const { type, body } = await jsonOf(res);
            assert.equal(type, "application/json");
            assert.deepEqual(body, { error: "payload_too_large" });
          }
          assert.deepEqual(await databaseFingerprint(db), before);
          assert.equal(app.events.length, events);
        },
      );
      await t.step(`${f.name}: exactly ${f.limit} (${how}) is read, not 413`, async () => {
        const res = await send(app, f, f.limit, chunked);
        await res.body?.cancel();
        assert.notEqual(res.status, 413);
      });
    }
  }
});

Deno.test("body limits - the partner webhook limit: 256 KiB is read, one byte more is 413", async () => {
  const limit = BODY_LIMITS.partnerWebhook;
  assert.equal(limit, 256 * 1024);
  for (const chunked of [false, true]) {
    const exact = new Request("http://x/", { method: "POST", body: bodyOf(limit, chunked) });
    assert.equal((await readBoundedBody(exact, limit)).byteLength, limit);
    const over = new Request("http://x/", { method: "POST", body: bodyOf(limit + 1, chunked) });
    await assert.rejects(
      readBoundedBody(over, limit),
      (e) => e instanceof AppError && e.status === 413 && e.code === "payload_too_large",
    );
  }
});

/** Resident set size of this process in bytes (Linux). */
function rss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

forEachDatabase(
  "body limits - many large chunked bodies at once keep memory bounded",
  async (_t, db) => {
    await using app = await startTestApp({ db });
    const PER_BODY = 256 * 1024 * 1024; // each client offers 256 MiB
    const partner = await jsonOf(await app.admin("POST", "/api/admin/partners", { name: "Big" }));
    assert.equal(partner.status, 201);
    // A path no route answers is refused without its body being read at all; the
    // Plug&Charge and partner receivers read theirs up to 256 KiB.
    const targets = [
      "/api/auth/scan-pair",
      "/api/auth/scan-login",
      "/admin/login",
      "/login",
      "/login/email",
      "/no-such-page",
      "/api/pnc/webhooks",
      `/api/partners/${partner.body.id}/events`,
    ];
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    const baseline = rss();
    let offered = 0;
    const posts = Array.from({ length: 12 }, async (_, i) => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent >= PER_BODY) return c.close();
          sent += chunk.byteLength;
          offered += chunk.byteLength;
          c.enqueue(chunk);
        },
      });
      const path = targets[i % targets.length];
      try {
        const res = await fetch(app.url + path, {
          method: "POST",
          headers: {
            "content-type": path.startsWith("/admin") || path.startsWith("/login")
              ? "application/x-www-form-urlencoded"
              : "application/json",
          },
          body,
        });
        await res.body?.cancel();
        return res.status;
      } catch {
        // The server may close the connection while the client is still sending.
        return "closed";
      }
    });
    const statuses = await Promise.all(posts);
    const grown = rss() - baseline;
    for (const s of statuses) assert.ok(s === 413 || s === 404 || s === "closed", `got ${s}`);
    assert.ok(statuses.includes(413), "at least one client read its 413");
    // Twelve bodies of 256 MiB were offered; reading any one whole would add hundreds of MB.
    assert.ok(grown < 96 * 1024 * 1024, `RSS grew ${Math.round(grown / 1048576)} MiB`);
    assert.ok(offered < 12 * PER_BODY, "the server cut the uploads short");
  },
);
