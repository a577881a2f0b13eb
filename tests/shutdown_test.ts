/**
 * `main.ts` and `main.ts --demo` as real processes: SIGINT or SIGTERM ends
 * each within 5 s with code 0, with demo traffic in flight and a live stream
 * open.
 */
import assert from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const STOP_BUDGET_MS = 5_000;
const ADMIN_API_TOKEN = "t".repeat(40);

/** Keeps reading a stream into `text`; `waitFor` resolves once a pattern shows up. */
function drain(stream: ReadableStream<Uint8Array>) {
  let text = "";
  let wake = () => {};
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      wake();
    }
    wake();
  })();
  let ended = false;
  done.finally(() => ended = true);
  return {
    done,
    get text() {
      return text;
    },
    async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        const match = text.match(pattern);
        if (match) return match;
        if (ended) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      throw new Error(`not seen: ${pattern}\n${text.slice(-2000)}`);
    },
  };
}

const cases = [
  { mode: "start", signal: "SIGTERM" },
  { mode: "start", signal: "SIGINT" },
  { mode: "demo", signal: "SIGTERM" },
  { mode: "demo", signal: "SIGINT" },
] as const;

for (const { mode, signal } of cases) {
  Deno.test(`shutdown - ${mode} exits with 0 within 5 s of ${signal}`, async () => {
    const dataDir = await Deno.makeTempDir();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, ...(mode === "demo" ? ["--demo"] : [])],
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        LOG_LEVEL: "info",
        PORT: "0",
        DATA_DIR: dataDir,
        ADMIN_API_TOKEN,
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdout = drain(child.stdout);
    const stderr = drain(child.stderr);
    let stream: Response | undefined;
    try {
      const [, url] = await stdout.waitFor(/"ExpresSync listening".*?"url":"([^"]+)"/);
      // An open live stream must not hold the stop.
      stream = await fetch(`${url}/api/admin/sessions/live/events`, {
        headers: { authorization: `Bearer ${ADMIN_API_TOKEN}` },
      });
      assert.equal(stream.status, 200);
      if (mode === "demo") {
        // Traffic in flight: a session has started and is sending readings.
        await stdout.waitFor(/"hook":"MeterValues"/);
      }
      const sentAt = performance.now();
      child.kill(signal);
      const status = await child.status;
      const elapsed = performance.now() - sentAt;
      assert.equal(status.code, 0, `exit code 0\n${stdout.text.slice(-2000)}`);
      assert.ok(elapsed < STOP_BUDGET_MS, `stopped in ${Math.round(elapsed)} ms`);
      await stdout.done;
      assert.match(stdout.text, /"shutting down"/);
      assert.doesNotMatch(stdout.text, /did not finish in time/);
    } finally {
      await stream?.body?.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Promise.all([stdout.done, stderr.done]).catch(() => {});
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
