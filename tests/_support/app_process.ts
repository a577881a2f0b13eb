/**
 * The app as a real process (`deno run main.ts`) on a port of its own, for
 * crash tests that SIGKILL it and start it again on the same database.
 */
import { TEST_PREAUTH_DEADLINE_MS } from "./app.ts";

export interface AppProcess {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Starts a new process (output discarded). */
  start(): Deno.ChildProcess;
  /** Resolves once `/health` answers 200; throws after about `timeoutMs` (default 15 s). */
  ready(timeoutMs?: number): Promise<void>;
}

export function appProcess(env: Record<string, string>, port: number): AppProcess {
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    start: () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname],
        // As startTestApp: a loaded machine must not turn pre-authorize into 500s.
        env: { PREAUTH_DEADLINE_MS: TEST_PREAUTH_DEADLINE_MS, ...env, PORT: String(port) },
        clearEnv: true,
        stdout: "null",
        stderr: "null",
      }).spawn(),
    async ready(timeoutMs = 15_000) {
      for (let i = 0; i < timeoutMs / 100; i++) {
        const ok = await fetch(`${base}/health`).then(
          (r) => r.body?.cancel().then(() => r.ok),
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the app did not start");
    },
  };
}
