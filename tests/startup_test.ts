/**
 * `main.ts` as a real process: configuration validated at start, weak or
 * missing hook keys loud but not fatal, the embedded database migrated on
 * disk, and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { signBody } from "../lib/signed_request.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function start(env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN],
    env: { LOG_LEVEL: "info", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads stdout lines until one matches, returning everything read. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs = 30_000,
) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(text) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

Deno.test("startup - an invalid value stops the start, naming the variable", async () => {
  for (
    const [variable, value] of [["PORT", "eighty"], [
      "SCAN_PAIR_TTL_SECONDS",
      "0",
    ]]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN],
      env: { [variable]: value, PATH: Deno.env.get("PATH") ?? "" },
      clearEnv: true,
    }).output();
    assert.equal(out.code, 1);
    assert.match(
      new TextDecoder().decode(out.stderr),
      new RegExp(`cannot start: invalid ${variable}`),
    );
  }
});

Deno.test("startup - missing and weak hook keys are loud, not fatal; that hook answers 401", async () => {
  const dataDir = await Deno.makeTempDir();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const good = "g".repeat(40);
  const child = start({
    PORT: String(port),
    DATA_DIR: dataDir,
    STEVE_PREAUTH_HMAC_KEY: "too-short",
    STEVE_METERVALUE_HMAC_KEY: good,
    PATH: Deno.env.get("PATH") ?? "",
  });
  try {
    const out = await readUntil(child.stdout, /ExpresSync listening/);
    const errors = out.split("\n").filter((l) => l.includes('"level":"ERROR"'))
      .map((l) => JSON.parse(l));
    // Hubject's secret is not set here: fail-closed, loud, and its endpoint answers 401.
    assert.deepEqual(
      errors.map((e) => [e.properties.variable, e.properties.problem]),
      [["STEVE_PREAUTH_HMAC_KEY", "too short"], ["HUBJECT_WEBHOOK_SECRET", "not set"]],
    );
    assert.ok(!out.includes("too-short"), "the key itself is never logged");

    const preAuth = JSON.stringify({ idTag: "T", chargeBoxId: "C" });
    const res = await fetch(`http://127.0.0.1:${port}/api/ocpp/pre-authorize`, {
      method: "POST",
      headers: { "x-signature": await signBody("too-short", preAuth) },
      body: preAuth,
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    const meter = JSON.stringify({
      chargeBoxId: "C",
      transactionPk: 1,
      connectorId: 1,
      timestamp: "2026-11-23T10:00:00Z",
      samples: [{ value: "1" }],
    });
    const ok = await fetch(`http://127.0.0.1:${port}/api/ocpp/meter-values`, {
      method: "POST",
      headers: { "x-signature": await signBody(good, meter) },
      body: meter,
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const pnc = JSON.stringify({ eventId: "e-1", eventType: "root.cert.added", payload: {} });
    const refused = await fetch(`http://127.0.0.1:${port}/api/pnc/webhooks`, {
      method: "POST",
      headers: { "x-hubject-signature": `sha256=${await signBody(good, pnc)}` },
      body: pnc,
    });
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stderr.cancel().catch(() => {});
    await child.stdout.cancel().catch(() => {});
    assert.equal(status.code, 0, "SIGTERM stops cleanly");
    await Deno.remove(dataDir, { recursive: true });
  }
});
