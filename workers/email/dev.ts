/**
 * `deno task email-worker`: the email worker in workerd on
 * 127.0.0.1:$EMAIL_WORKER_PORT (default 8787), its Durable Objects' state
 * under $DATA_DIR/email-worker, secrets and settings from the environment.
 */
import { join } from "node:path";
import { startEmailWorker } from "./local.ts";

const env = (name: string) => Deno.env.get(name) || undefined;
const port = Number(env("EMAIL_WORKER_PORT") ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`EMAIL_WORKER_PORT must be a port number, got ${env("EMAIL_WORKER_PORT")}`);
  Deno.exit(1);
}
const timeout = env("EMAIL_API_TIMEOUT_MS");
const persistDir = join(env("DATA_DIR") ?? "./data", "email-worker");
await Deno.mkdir(persistDir, { recursive: true });

for (const name of ["EMAIL_API_URL", "EMAIL_API_KEY", "EMAIL_FROM"]) {
  if (!env(name)) console.error(`${name} is unset: every signed send will answer 500 internal`);
}
if ((env("POLARIS_SECRET_A") ?? "").length < 32 && (env("POLARIS_SECRET_B") ?? "").length < 32) {
  console.error(
    "POLARIS_SECRET_A and POLARIS_SECRET_B are unset or shorter than 32 characters: " +
      "every send will answer 401",
  );
}

const worker = await startEmailWorker({
  secretA: env("POLARIS_SECRET_A"),
  secretB: env("POLARIS_SECRET_B"),
  emailApiUrl: env("EMAIL_API_URL"),
  emailApiKey: env("EMAIL_API_KEY"),
  emailFrom: env("EMAIL_FROM"),
  emailApiTimeoutMs: timeout ? Number(timeout) : undefined,
  port,
  persistDir,
  onLog: (line) => console.log(line),
});
console.log(`email worker listening on ${worker.url} (POST /send), state in ${persistDir}`);
// Ctrl-C or SIGTERM: miniflare's exit hook stops workerd, and the process
// ends with 128 + the signal's number (130, 143).
