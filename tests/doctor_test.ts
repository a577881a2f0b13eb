/**
 * `deno task doctor` against a real app on loopback (PGlite), the fake Lago
 * and SteVe, and the real email worker in workerd: a healthy instance passes
 * (exit 0, as a real subprocess), each misconfiguration fails with its fix
 * (exit 1), no secret is ever printed, and the probes write and send nothing.
 */
import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { systemClock } from "../lib/clock.ts";
import { loadConfig } from "../lib/config.ts";
import { type DoctorCheck, doctorPassed, formatCheck, runDoctor } from "../lib/doctor.ts";
import { keyFingerprint } from "../lib/hook_stats.ts";
import { HUBJECT_SECRET, METER_KEY, PREAUTH_KEY, startTestApp } from "./_support/app.ts";
import { databaseFingerprint } from "./_support/db.ts";
import { EMAIL_KEY } from "./_support/email_worker.ts";
import { startEmailWorkerRig, until } from "./_support/real_email_worker.ts";
import { startFakeLago } from "./fakes/fake_lago.ts";
import { startFakeSteve } from "./fakes/fake_steve.ts";

const CLI = new URL("../cli/doctor.ts", import.meta.url).pathname;
const OTHER_KEY = "another-key-of-enough-length-0123456789abcdef";

/** Runs `deno task doctor`'s script in a process of its own with exactly `env`. */
async function doctorProcess(env: Record<string, string>, args: string[] = []) {
  const inherited = Object.fromEntries(
    ["HOME", "DENO_DIR", "PATH"].flatMap((k) => {
      const v = Deno.env.get(k);
      return v === undefined ? [] : [[k, v]];
    }),
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-env", CLI, ...args],
    env: { ...inherited, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

/** The line of `out` for the check named `name` (names are padded, so match the start). */
function lineOf(out: string, name: string): string {
  const line = out.split("\n").find((l) => l.slice(5).startsWith(name + " "));
  assert.ok(line, `no line for "${name}" in:\n${out}`);
  return line;
}

const byName = (checks: DoctorCheck[], name: string) => {
  const check = checks.find((c) => c.name === name);
  assert.ok(check, `no check "${name}" in ${checks.map((c) => c.name).join(", ")}`);
  return check;
};

/** Tables the probes could touch; hook outcome counts are meant to change. */
async function writtenTables(db: Parameters<typeof databaseFingerprint>[0]) {
  const all = await databaseFingerprint(db);
  delete all.hook_outcome_buckets;
  delete all.hook_key_reports;
  return all;
}

Deno.test("doctor - a healthy instance passes; each misconfiguration fails with its fix", async (t) => {
  await using db = await (async () => {
    const d = await openDatabase({});
    return { ...d, [Symbol.asyncDispose]: () => d.close() };
  })();
  await using lago = startFakeLago();
  await using steve = startFakeSteve();
  await using worker = await startEmailWorkerRig({ secretA: EMAIL_KEY });
  const env = {
    STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
    STEVE_METERVALUE_HMAC_KEY: METER_KEY,
    HUBJECT_WEBHOOK_SECRET: HUBJECT_SECRET,
    LAGO_API_URL: lago.url,
    LAGO_API_KEY: lago.apiKey,
    STEVE_API_URL: steve.url,
    STEVE_API_USER: steve.user,
    STEVE_API_PASSWORD: steve.password,
    EMAIL_WORKER_URL: worker.url,
    EMAIL_WORKER_HMAC_KEY: EMAIL_KEY,
  };
  await using app = await startTestApp({ db, env });
  const secrets = [PREAUTH_KEY, METER_KEY, HUBJECT_SECRET, lago.apiKey, steve.password, EMAIL_KEY];
  const assertNoSecret = (text: string) => {
    for (const secret of secrets) assert.ok(!text.includes(secret), "a secret was printed");
  };
  const doctor = (overrides: Record<string, string | undefined>, baseUrl = app.url) =>
    runDoctor({
      config: loadConfig({ ...env, ...overrides }),
      baseUrl,
      clock: systemClock,
      timeoutMs: 5_000,
    });

  await t.step(
    "healthy: every line ok (a real subprocess, --url from PUBLIC_BASE_URL), exit 0, nothing written or sent",
    async () => {
      const before = await writtenTables(db);
      const run = await doctorProcess({ ...env, PUBLIC_BASE_URL: app.url });
      assert.equal(run.code, 0, run.out + run.err);
      for (
        const name of [
          "key STEVE_PREAUTH_HMAC_KEY",
          "key STEVE_METERVALUE_HMAC_KEY",
          "key HUBJECT_WEBHOOK_SECRET",
          "GET /health",
          "hook /api/ocpp/pre-authorize",
          "hook /api/ocpp/meter-values",
          "hook /api/pnc/webhooks",
          "Lago API",
          "SteVe API",
          "email worker",
        ]
      ) {
        assert.match(lineOf(run.out, name), /^ok /, name);
      }
      // The fingerprint is the admin API's, and the key itself never shows.
      assert.ok(
        lineOf(run.out, "key STEVE_PREAUTH_HMAC_KEY").includes(keyFingerprint(PREAUTH_KEY)),
      );
      const hooks = await (await app.admin("GET", "/api/admin/hooks")).json();
      const preAuthorize =
        hooks.hooks?.find?.((h: { name: string }) => h.name === "PreAuthorize") ??
          hooks.find?.((h: { name: string }) => h.name === "PreAuthorize");
      assert.equal(preAuthorize.key.fingerprint, keyFingerprint(PREAUTH_KEY));
      assert.match(lineOf(run.out, "hook /api/ocpp/pre-authorize"), /200 \{"override":null\}/);
      assert.match(run.out, /all checks passed/);
      assertNoSecret(run.out + run.err);

      // The runbook's pre-authorize records charger "TEST" as seen, once, as its curl does; nothing else.
      const after = await writtenTables(db);
      assert.notEqual(after.chargers, before.chargers);
      assert.deepEqual({ ...after, chargers: "" }, { ...before, chargers: "" }, "a probe wrote");
      const chargers = await (await app.admin("GET", "/api/admin/chargers")).json();
      assert.deepEqual(JSON.stringify(chargers).match(/"chargeBoxId":"[^"]*"/g), [
        '"chargeBoxId":"TEST"',
      ]);
      assert.ok(doctorPassed(await doctor({})));
      assert.deepEqual(await writtenTables(db), after, "a second run wrote to the database");
      await until("the worker's log lines", () => worker.outcomes().length >= 2);
      assert.deepEqual(
        worker.outcomes(),
        ["invalid_body", "invalid_body"],
        "refused at the shape: no nonce spent",
      );
      assert.equal(worker.api.requests.length, 0, "no mail reached the email API");
      assert.equal(lago.events.size, 0);
    },
  );

  await t.step(
    "misconfigured: another key, a missing key, wrong Lago and worker keys → exit 1 with the fixes",
    async () => {
      const run = await doctorProcess({
        ...env,
        STEVE_PREAUTH_HMAC_KEY: OTHER_KEY,
        STEVE_METERVALUE_HMAC_KEY: "",
        LAGO_API_KEY: "wrong-lago-key",
        EMAIL_WORKER_HMAC_KEY: OTHER_KEY,
      }, ["--url", app.url]);
      assert.equal(run.code, 1, run.out + run.err);
      assertNoSecret(run.out + run.err);
      assert.ok(!run.out.includes(OTHER_KEY), "the shell's key was printed");

      const preKey = lineOf(run.out, "key STEVE_PREAUTH_HMAC_KEY");
      assert.match(preKey, /^ok /);
      assert.ok(preKey.includes(keyFingerprint(OTHER_KEY)));
      const preHook = lineOf(run.out, "hook /api/ocpp/pre-authorize");
      assert.match(preHook, /^FAIL .*401.*fix: compare fingerprints/);
      assert.match(
        lineOf(run.out, "key STEVE_METERVALUE_HMAC_KEY"),
        /^FAIL .*not set.*fix: set STEVE_METERVALUE_HMAC_KEY .*openssl rand -hex 32/,
      );
      assert.match(lineOf(run.out, "hook /api/ocpp/meter-values"), /^skip /);
      assert.match(
        lineOf(run.out, "Lago API"),
        /^FAIL .*LAGO_API_KEY refused.*fix: set LAGO_API_KEY/,
      );
      assert.match(
        lineOf(run.out, "email worker"),
        /^FAIL .*401.*fix: set the worker's POLARIS_SECRET_A/,
      );
      assert.match(lineOf(run.out, "SteVe API"), /^ok /);
      assert.match(lineOf(run.out, "GET /health"), /^ok /);
      assert.match(run.out, /4 check\(s\) failed/);
    },
  );

  await t.step("the instance lacks a key the doctor has: the hook's probe fails", async () => {
    await using keyless = await startTestApp({
      db,
      env: { ...env, STEVE_METERVALUE_HMAC_KEY: undefined },
    });
    const checks = await doctor({}, keyless.url);
    const probe = byName(checks, "hook /api/ocpp/meter-values");
    assert.equal(probe.status, "fail", formatCheck(probe));
    assert.match(probe.detail, /^401 /);
    assert.match(probe.fix!, /compare fingerprints/);
    assert.equal(byName(checks, "hook /api/ocpp/pre-authorize").status, "ok");
    assert.equal(doctorPassed(checks), false);
  });

  await t.step("Lago's key is accepted but the metric code is unknown", async () => {
    const checks = await doctor({ LAGO_METRIC_CODE: "no-such-metric" });
    const check = byName(checks, "Lago API");
    assert.equal(check.status, "fail");
    assert.match(check.fix!, /LAGO_METRIC_CODE/);
  });

  await t.step("SteVe's API refuses the password", async () => {
    const check = byName(await doctor({ STEVE_API_PASSWORD: "wrong" }), "SteVe API");
    assert.equal(check.status, "fail");
    assert.match(check.fix!, /STEVE_API_USER and STEVE_API_PASSWORD/);
  });

  await t.step(
    "nothing answers at --url: /health and every probe fail with the same fix",
    async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const closed = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
      listener.close();
      const checks = await doctor({}, closed);
      for (const name of ["GET /health", "hook /api/ocpp/pre-authorize"]) {
        const check = byName(checks, name);
        assert.equal(check.status, "fail", name);
        assert.match(check.fix!, /point --url at it/);
      }
    },
  );

  await t.step(
    "unconfigured Lago, SteVe, worker and Plug&Charge are skipped, not failed",
    async () => {
      const checks = await runDoctor({
        config: loadConfig({
          STEVE_PREAUTH_HMAC_KEY: PREAUTH_KEY,
          STEVE_METERVALUE_HMAC_KEY: METER_KEY,
        }),
        baseUrl: app.url,
        clock: systemClock,
      });
      for (const name of ["Lago API", "SteVe API", "email worker", "key HUBJECT_WEBHOOK_SECRET"]) {
        assert.equal(byName(checks, name).status, "skip", name);
      }
      assert.ok(!checks.some((c) => c.name === "hook /api/pnc/webhooks"));
      assert.equal(doctorPassed(checks), true, checks.map(formatCheck).join("\n"));
    },
  );
});
