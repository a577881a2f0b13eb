import assert from "node:assert/strict";
import { ConfigError, loadConfig, readEndpointSecrets } from "./config.ts";

Deno.test("config - defaults", () => {
  const c = loadConfig({});
  assert.equal(c.port, 8000);
  assert.equal(c.publicBaseUrl, "http://localhost:8000");
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.dataDir, "./data");
  assert.equal(c.scanPairTtlSeconds, 90);
  assert.equal(c.scanPairRatePerMinute, 10);
  assert.equal(c.trustProxy, false);
  assert.equal(c.preAuthEnabled, true);
  assert.deepEqual(c.hooks.preAuthorize, {
    usable: false,
    problem: "missing_key",
  });
});

Deno.test("config - PUBLIC_BASE_URL follows PORT; trailing slash dropped", () => {
  assert.equal(
    loadConfig({ PORT: "9000" }).publicBaseUrl,
    "http://localhost:9000",
  );
  assert.equal(
    loadConfig({ PUBLIC_BASE_URL: "https://ev.example/" }).publicBaseUrl,
    "https://ev.example",
  );
});

Deno.test("config - hook keys: exact names, no fallback, weak keys unusable", () => {
  const key = "x".repeat(32);
  const c = loadConfig({
    STEVE_PREAUTH_HMAC_KEY: key,
    STEVE_METERVALUE_HMAC_KEY: "short",
  });
  assert.deepEqual(c.hooks.preAuthorize, { usable: true, secret: key });
  assert.deepEqual(c.hooks.meterValues, { usable: false, problem: "weak_key" });
  const other = loadConfig({
    STEVE_METERVALUE_HMAC_KEY: key,
    STEVE_PREAUTH_KEY: key,
  });
  assert.deepEqual(other.hooks.preAuthorize, {
    usable: false,
    problem: "missing_key",
  });
});

Deno.test("config - any other invalid value names its variable", () => {
  const bad: Array<[string, string]> = [
    ["PORT", "eighty"],
    ["PORT", "70000"],
    ["PUBLIC_BASE_URL", "ftp://x"],
    ["DATABASE_URL", "mysql://x"],
    ["SCAN_PAIR_TTL_SECONDS", "0"],
    ["SCAN_PAIR_RATE_PER_MINUTE", "-1"],
    ["TRUST_PROXY", "maybe"],
    ["PREAUTH_ENABLED", "on-ish"],
    ["ADMIN_API_TOKEN", "short"],
  ];
  for (const [variable, value] of bad) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (e) => e instanceof ConfigError && e.variable === variable,
      variable,
    );
  }
});

Deno.test("config - rotation variables: accepted after the current secret, weak ones stop the start", () => {
  const rotating = { secretVariables: ["X_SECRET", "X_SECRET_PREVIOUS"] as [string, string] };
  const [current, previous] = ["c".repeat(32), "p".repeat(32)];
  assert.deepEqual(
    readEndpointSecrets(rotating, { X_SECRET: current, X_SECRET_PREVIOUS: previous }),
    { usable: true, secret: current, previous: [previous] },
  );
  assert.deepEqual(
    readEndpointSecrets(rotating, { X_SECRET: current, X_SECRET_PREVIOUS: "" }),
    { usable: true, secret: current },
  );
  // Without a current secret nothing verifies, whatever the previous one holds.
  assert.deepEqual(
    readEndpointSecrets(rotating, { X_SECRET_PREVIOUS: previous }),
    { usable: false, problem: "missing_key" },
  );
  assert.throws(
    () => readEndpointSecrets(rotating, { X_SECRET: current, X_SECRET_PREVIOUS: "short" }),
    (e) => e instanceof ConfigError && e.variable === "X_SECRET_PREVIOUS",
  );
});

Deno.test("config - Hubject's secret: 16 characters suffice, the previous one alone is none", () => {
  const hubject = (env: Record<string, string>) => loadConfig(env).hooks.pnc;
  assert.deepEqual(hubject({}), { usable: false, problem: "missing_key" });
  assert.deepEqual(hubject({ HUBJECT_WEBHOOK_SECRET: "x".repeat(15) }), {
    usable: false,
    problem: "weak_key",
  });
  assert.deepEqual(hubject({ HUBJECT_WEBHOOK_SECRET: "x".repeat(16) }), {
    usable: true,
    secret: "x".repeat(16),
  });
  assert.deepEqual(hubject({ HUBJECT_WEBHOOK_SECRET_PREVIOUS: "p".repeat(40) }), {
    usable: false,
    problem: "missing_key",
  });
  assert.deepEqual(
    hubject({
      HUBJECT_WEBHOOK_SECRET: "n".repeat(16),
      HUBJECT_WEBHOOK_SECRET_PREVIOUS: "p".repeat(16),
    }),
    { usable: true, secret: "n".repeat(16), previous: ["p".repeat(16)] },
  );
  assert.throws(
    () =>
      hubject({ HUBJECT_WEBHOOK_SECRET: "n".repeat(16), HUBJECT_WEBHOOK_SECRET_PREVIOUS: "short" }),
    (e: unknown) =>
      e instanceof ConfigError && e.variable === "HUBJECT_WEBHOOK_SECRET_PREVIOUS" &&
      /at least 16 characters/.test(e.message),
  );
  // The SteVe hooks keep their 32.
  assert.deepEqual(loadConfig({ STEVE_PREAUTH_HMAC_KEY: "x".repeat(16) }).hooks.preAuthorize, {
    usable: false,
    problem: "weak_key",
  });
});

Deno.test("config - partner webhooks: defaults, and a bad value names its variable", () => {
  const c = loadConfig({});
  assert.equal(c.partnerWebhooksAllowLocal, false);
  assert.equal(c.partnerWebhookTimeoutMs, 10_000);
  assert.deepEqual(
    c.partnerWebhookRetrySchedule,
    [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
  );
  assert.equal(c.partnerDeliveriesRetentionDays, 30);
  const set = loadConfig({
    PARTNER_WEBHOOKS_ALLOW_LOCAL: "true",
    PARTNER_WEBHOOK_TIMEOUT_SECONDS: "3",
    PARTNER_WEBHOOK_RETRY_SCHEDULE: " 1, 2 ,3",
    PARTNER_DELIVERIES_RETENTION_DAYS: "7",
  });
  assert.deepEqual(
    [
      set.partnerWebhooksAllowLocal,
      set.partnerWebhookTimeoutMs,
      set.partnerWebhookRetrySchedule,
      set.partnerDeliveriesRetentionDays,
    ],
    [true, 3000, [1, 2, 3], 7],
  );
  for (
    const [variable, value] of [
      ["PARTNER_WEBHOOK_RETRY_SCHEDULE", "5,,10"],
      ["PARTNER_WEBHOOK_RETRY_SCHEDULE", "5,-1"],
      ["PARTNER_WEBHOOK_RETRY_SCHEDULE", "0,5"],
      ["PARTNER_WEBHOOK_RETRY_SCHEDULE", "soon"],
      ["PARTNER_WEBHOOK_TIMEOUT_SECONDS", "0"],
      ["PARTNER_WEBHOOKS_ALLOW_LOCAL", "maybe"],
      ["PARTNER_DELIVERIES_RETENTION_DAYS", "0"],
      ["PARTNER_DELIVERIES_RETENTION_DAYS", "a month"],
    ]
  ) {
    assert.throws(
      () => loadConfig({ [variable]: value }),
      (e: unknown) => e instanceof ConfigError && e.variable === variable,
      `${variable}=${value}`,
    );
  }
});

Deno.test("config - email worker: URL and key together, the key at least 32 characters", () => {
  assert.equal(loadConfig({}).emailWorker, undefined, "unset: mail waits");
  const key = "k".repeat(32);
  assert.deepEqual(
    loadConfig({ EMAIL_WORKER_URL: "https://mail.example.test/", EMAIL_WORKER_HMAC_KEY: key })
      .emailWorker,
    { url: "https://mail.example.test", hmacKey: key },
  );
  // A key alone is accepted (the URL comes later); mail still waits.
  assert.equal(loadConfig({ EMAIL_WORKER_HMAC_KEY: key }).emailWorker, undefined);
  for (
    const [env, variable] of [
      [{ EMAIL_WORKER_URL: "https://mail.example.test" }, "EMAIL_WORKER_HMAC_KEY"],
      [
        { EMAIL_WORKER_URL: "https://mail.example.test", EMAIL_WORKER_HMAC_KEY: "k".repeat(31) },
        "EMAIL_WORKER_HMAC_KEY",
      ],
      [{ EMAIL_WORKER_HMAC_KEY: "short" }, "EMAIL_WORKER_HMAC_KEY"],
      [
        { EMAIL_WORKER_URL: "ftp://mail.example.test", EMAIL_WORKER_HMAC_KEY: key },
        "EMAIL_WORKER_URL",
      ],
    ] as const
  ) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && e.variable === variable,
      JSON.stringify(env),
    );
  }
});

Deno.test("config - ALERT_EMAIL: a list of addresses, a bad one names the variable (not the value)", () => {
  assert.deepEqual(loadConfig({}).alertEmails, [], "unset: alerts tracked, nothing mailed");
  assert.deepEqual(
    loadConfig({ ALERT_EMAIL: " ops@example.test, oncall@example.test ,OPS@example.test," })
      .alertEmails,
    ["ops@example.test", "oncall@example.test"],
    "trimmed, repeats and a trailing comma dropped",
  );
  for (
    const value of [
      "ops@example.test, not-an-address",
      "ops@example.test,,oncall",
      "   ",
      Array.from({ length: 21 }, (_, i) => `ops${i}@example.test`).join(","),
    ]
  ) {
    assert.throws(
      () => loadConfig({ ALERT_EMAIL: value }),
      (e: unknown) =>
        e instanceof ConfigError && e.variable === "ALERT_EMAIL" &&
        !e.message.includes("not-an-address") && !e.message.includes("oncall"),
      value,
    );
  }
});

Deno.test("config - a SteVe hook's _NEXT key: accepted when set, too short is not used and stops nothing", () => {
  const base = { STEVE_PREAUTH_HMAC_KEY: "c".repeat(32) };
  assert.deepEqual(loadConfig(base).hooks.preAuthorize, { usable: true, secret: "c".repeat(32) });
  assert.deepEqual(
    loadConfig({ ...base, STEVE_PREAUTH_HMAC_KEY_NEXT: "n".repeat(32) }).hooks.preAuthorize,
    { usable: true, secret: "c".repeat(32), next: { usable: true, secret: "n".repeat(32) } },
  );
  assert.deepEqual(
    loadConfig({ ...base, STEVE_PREAUTH_HMAC_KEY_NEXT: "short" }).hooks.preAuthorize,
    { usable: true, secret: "c".repeat(32), next: { usable: false, problem: "weak_key" } },
  );
  // Without a current key nothing verifies, whatever _NEXT holds; one hook's _NEXT is not the other's.
  const alone = loadConfig({ STEVE_METERVALUE_HMAC_KEY_NEXT: "n".repeat(32) });
  assert.deepEqual(alone.hooks.meterValues, {
    usable: false,
    problem: "missing_key",
    next: { usable: true, secret: "n".repeat(32) },
  });
  assert.deepEqual(alone.hooks.preAuthorize, { usable: false, problem: "missing_key" });
});

Deno.test("config - RETENTION_DAYS: default 90, and the ceiling of partner deliveries' retention", () => {
  assert.equal(loadConfig({}).retentionDays, 90);
  const cases: Array<[Record<string, string>, number, number]> = [
    [{}, 90, 30],
    [{ RETENTION_DAYS: "10" }, 10, 10],
    [{ RETENTION_DAYS: "10", PARTNER_DELIVERIES_RETENTION_DAYS: "3" }, 10, 3],
    [{ RETENTION_DAYS: "365", PARTNER_DELIVERIES_RETENTION_DAYS: "200" }, 365, 200],
  ];
  for (const [env, retention, partner] of cases) {
    const c = loadConfig(env);
    assert.deepEqual([c.retentionDays, c.partnerDeliveriesRetentionDays], [retention, partner]);
  }
  for (
    const [env, variable] of [
      [{ RETENTION_DAYS: "0" }, "RETENTION_DAYS"],
      [{ RETENTION_DAYS: "3651" }, "RETENTION_DAYS"],
      [{ PARTNER_DELIVERIES_RETENTION_DAYS: "91" }, "PARTNER_DELIVERIES_RETENTION_DAYS"],
    ] as const
  ) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && e.variable === variable,
      JSON.stringify(env),
    );
  }
});
