/**
 * The real email worker (workers/email/, in workerd through miniflare) in
 * front of the fake email API, for end-to-end tests of the app's mail: it
 * can be stopped and started again on the same port with the same state
 * folder (nonces and sent ids survive), with other secrets when a rotation
 * asks for it. Every line the worker logs, across restarts, is kept.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningEmailWorker, startEmailWorker } from "../../workers/email/local.ts";
import { type FakeEmailApi, startFakeEmailApi } from "../fakes/fake_email_api.ts";

export const EMAIL_FROM = "ExpresSync <no-reply@expressync.test>";

/** The worker's secrets: `POLARIS_SECRET_A` and the optional `POLARIS_SECRET_B`. */
export interface WorkerSecrets {
  secretA?: string;
  secretB?: string;
}

export interface EmailWorkerRig extends AsyncDisposable {
  api: FakeEmailApi;
  /** `http://127.0.0.1:PORT`: the app's `EMAIL_WORKER_URL`, the same across restarts. */
  url: string;
  /** Every line the worker logged (JSON), in order, across restarts. */
  logs: string[];
  /** The `outcome` of every `email send` line the worker logged. */
  outcomes(): string[];
  /** Stops workerd; its state stays in the folder. */
  stop(): Promise<void>;
  /** Starts it again on the same port and state folder, with `secrets` (default: as before). */
  start(secrets?: WorkerSecrets): Promise<void>;
}

/** Starts the fake API and the worker with `secrets` on a free loopback port. */
export async function startEmailWorkerRig(secrets: WorkerSecrets): Promise<EmailWorkerRig> {
  const api = startFakeEmailApi();
  const dir = await mkdtemp(join(tmpdir(), "email-worker-e2e-"));
  const logs: string[] = [];
  let current = secrets;
  let port = 0;
  let worker: RunningEmailWorker | null = null;
  const start = async (next: WorkerSecrets = current) => {
    current = next;
    worker = await startEmailWorker({
      ...current,
      emailApiUrl: api.url,
      emailApiKey: api.apiKey,
      emailFrom: EMAIL_FROM,
      port,
      persistDir: dir,
      onLog: (line) => logs.push(line),
    });
    port = Number(new URL(worker.url).port);
  };
  const stop = async () => {
    await worker?.close();
    worker = null;
  };
  await start();
  return {
    api,
    url: `http://127.0.0.1:${port}`,
    logs,
    outcomes: () =>
      logs.flatMap((line) => {
        try {
          const entry = JSON.parse(line);
          return entry.msg === "email send" ? [String(entry.outcome)] : [];
        } catch {
          return [];
        }
      }),
    stop,
    start,
    async [Symbol.asyncDispose]() {
      await stop();
      await api.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `check` every 50 ms until it holds; throws naming `what` after
 * `timeoutMs` (generous: a deadline, not a measurement).
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
