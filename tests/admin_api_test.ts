/** The admin automation API: bearer auth, validation naming the field, and each resource. */
import assert from "node:assert/strict";
import { keyFingerprint } from "../lib/hook_stats.ts";
import { databaseFingerprint, forEachDatabase } from "./_support/db.ts";
import {
  ADMIN_TOKEN,
  jsonOf,
  PREAUTH_KEY,
  preAuthorize,
  startTestApp,
  uniqueId,
} from "./_support/app.ts";
import { routeCases } from "./_support/routes.ts";

// Every method of every /api/admin route, read from routes/_manifest.ts: a new one is covered.
const ENDPOINTS = routeCases("/api/admin");
/** Bodies that would be accepted with the token, so a 401 is the auth's answer, not validation's. */
const BODIES: Record<string, unknown> = {
  "PUT /api/admin/chargers/:chargeBoxId": { name: "x" },
  "PUT /api/admin/customers/:id": { name: "x" },
  "PUT /api/admin/tags/:idTag": { customerId: null },
  "PUT /api/admin/flags/pre-authorize": { enabled: false },
};

forEachDatabase("admin API", async (t, db) => {
  await t.step(
    "without, or with a wrong, bearer token every endpoint is 401 and changes nothing",
    async () => {
      await using app = await startTestApp({ db });
      assert.ok(
        ENDPOINTS.some((e) => e.path === "/api/admin/billing/retry") && ENDPOINTS.length >= 13,
        "the list covers the manifest's admin API, billing included",
      );
      const before = await databaseFingerprint(db);
      for (
        const auth of [
          undefined,
          "Bearer wrong-token-wrong-token-wrong",
          `Basic ${ADMIN_TOKEN}`,
          ADMIN_TOKEN,
        ]
      ) {
        for (const { method, path, pattern } of ENDPOINTS) {
          const body = BODIES[`${method} ${pattern}`] ?? (method === "GET" ? undefined : {});
          const res = await jsonOf(
            await fetch(app.url + path, {
              method,
              headers: {
                ...(auth ? { authorization: auth } : {}),
                "content-type": "application/json",
              },
              body: body === undefined ? undefined : JSON.stringify(body),
            }),
          );
          assert.equal(res.status, 401, `${auth} ${method} ${path}`);
          assert.deepEqual(res.body, { error: "unauthorized" });
        }
      }
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );

  await t.step("with ADMIN_API_TOKEN unset the API is closed", async () => {
    await using app = await startTestApp({
      db,
      env: { ADMIN_API_TOKEN: undefined },
    });
    const res = await app.admin("GET", "/api/admin/hooks");
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });

  await t.step(
    "a bad body is 400 naming the field, and writes nothing",
    async () => {
      await using app = await startTestApp({ db });
      const before = await databaseFingerprint(db);
      const cases: Array<[string, string, unknown, string]> = [
        ["PUT", "/api/admin/chargers/CB", { name: 5 }, "name"],
        ["PUT", "/api/admin/chargers/CB", {}, "name"],
        ["PUT", "/api/admin/customers/c1", { name: "" }, "name"],
        [
          "PUT",
          "/api/admin/customers/c1",
          { name: "A", email: "not-an-email" },
          "email",
        ],
        ["PUT", "/api/admin/customers/bad%20id", { name: "A" }, ""],
        ["PUT", "/api/admin/tags/T1", { customerId: "nobody" }, "customerId"],
        ["PUT", "/api/admin/tags/T1", {}, "customerId"],
        [
          "PUT",
          "/api/admin/flags/pre-authorize",
          { enabled: "yes" },
          "enabled",
        ],
        [
          "PUT",
          "/api/admin/customers/c1",
          { name: "A", lagoSubscriptionId: 5 },
          "lagoSubscriptionId",
        ],
        [
          "PUT",
          "/api/admin/customers/c1",
          { name: "A", lagoSubscriptionId: "" },
          "lagoSubscriptionId",
        ],
        ["POST", "/api/admin/billing/retry", { ids: ["x"] }, "ids.0"],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await jsonOf(await app.admin(method, path, body));
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal(res.type, "application/json");
        assert.equal(res.body.error, "invalid_body");
        if (field) assert.equal(res.body.field, field);
      }
      const notJson = await jsonOf(
        await fetch(app.url + "/api/admin/chargers/CB", {
          method: "PUT",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          body: "{",
        }),
      );
      assert.equal(notJson.status, 400);
      assert.deepEqual(notJson.body, { error: "invalid_json" });
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );

  await t.step(
    "chargers: create, read, rename, list, rotate; QR URL on PUBLIC_BASE_URL",
    async () => {
      await using app = await startTestApp({ db });
      const id = uniqueId("CB");
      const created = await jsonOf(
        await app.admin("PUT", `/api/admin/chargers/${id}`, { name: "Bay 7" }),
      );
      assert.equal(created.status, 201);
      assert.equal(created.body.name, "Bay 7");
      assert.match(
        created.body.qrUrl,
        new RegExp(
          `^http://charge\\.example\\.test/c/${id}\\?k=[A-Za-z0-9_-]{32}$`,
        ),
      );
      const renamed = await jsonOf(
        await app.admin("PUT", `/api/admin/chargers/${id}`, { name: "Bay 8" }),
      );
      assert.equal(renamed.status, 200);
      assert.equal(
        renamed.body.qrUrl,
        created.body.qrUrl,
        "renaming keeps the printed code valid",
      );
      assert.equal(
        (await jsonOf(await app.admin("GET", `/api/admin/chargers/${id}`))).body
          .name,
        "Bay 8",
      );
      const listed = await jsonOf(
        await app.admin("GET", "/api/admin/chargers"),
      );
      assert.ok(
        listed.body.chargers.some((c: { chargeBoxId: string }) => c.chargeBoxId === id),
      );
      const missing = await jsonOf(
        await app.admin("GET", `/api/admin/chargers/${uniqueId("none")}`),
      );
      assert.equal(missing.status, 404);
    },
  );

  await t.step(
    "a charger SteVe sends in a verified hook is known from then on",
    async () => {
      await using app = await startTestApp({ db });
      const id = uniqueId("SEEN");
      await (await preAuthorize(app, { idTag: "T", chargeBoxId: id })).body
        ?.cancel();
      const seen = await jsonOf(
        await app.admin("GET", `/api/admin/chargers/${id}`),
      );
      assert.equal(seen.status, 200);
      assert.equal(seen.body.name, null);
      assert.match(seen.body.qrUrl, /\?k=/);
    },
  );

  await t.step(
    "hooks: key state, a fingerprint that is not the key, and outcome counts",
    async () => {
      await using app = await startTestApp({
        db,
        env: { STEVE_METERVALUE_HMAC_KEY: "weak" },
      });
      await (await preAuthorize(app, { idTag: "T", chargeBoxId: "C" })).body
        ?.cancel();
      await (await fetch(app.url + "/api/ocpp/pre-authorize", {
        method: "POST",
        body: "{}",
      })).body?.cancel();
      const res = await jsonOf(await app.admin("GET", "/api/admin/hooks"));
      assert.equal(res.status, 200);
      const [pre, meter] = res.body.hooks;
      assert.equal(pre.envVar, "STEVE_PREAUTH_HMAC_KEY");
      assert.deepEqual(pre.key, {
        configured: true,
        fingerprint: keyFingerprint(PREAUTH_KEY),
      });
      assert.ok(!JSON.stringify(res.body).includes(PREAUTH_KEY));
      assert.deepEqual(pre.counts, {
        ok: 1,
        "unauthorized:missing_signature": 1,
      });
      assert.deepEqual(meter.key, { configured: false, problem: "weak_key" });
      assert.equal(res.body.preAuthorizeEnabled, true);
    },
  );

  await t.step("customers and tags: upsert, link, unlink", async () => {
    await using app = await startTestApp({ db });
    const id = uniqueId("cust");
    const put = await jsonOf(
      await app.admin("PUT", `/api/admin/customers/${id}`, {
        name: "Ada",
        email: "ada@example.com",
      }),
    );
    assert.deepEqual(put.body, {
      id,
      name: "Ada",
      email: "ada@example.com",
      lagoSubscriptionId: null,
    });
    const tag = await jsonOf(
      await app.admin("PUT", "/api/admin/tags/CARD-1", { customerId: id }),
    );
    assert.deepEqual(tag.body, { idTag: "CARD-1", customerId: id });
    const unlinked = await jsonOf(
      await app.admin("PUT", "/api/admin/tags/CARD-1", { customerId: null }),
    );
    assert.deepEqual(unlinked.body, { idTag: "CARD-1", customerId: null });
  });
});
