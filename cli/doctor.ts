/**
 * `deno task doctor [--url URL]`: runbook seed 000 steps 2–4 against a
 * running instance, with the environment it runs with (run it where the app
 * runs: `docker compose exec web deno task doctor`). Argument parsing and
 * printing only; the checks are lib/doctor.ts. Output is the product here, so
 * it goes to the console rather than a logger.
 */
import { parseArgs } from "node:util";
import { systemClock } from "../lib/clock.ts";
import { ConfigError, loadConfig } from "../lib/config.ts";
import { doctorPassed, formatCheck, runDoctor } from "../lib/doctor.ts";

const USAGE = `Usage: deno task doctor [--url URL]

Checks, with this environment: each hook key (present, long enough, its
fingerprint), a signed test call to each hook, GET /health, the Lago and SteVe
API credentials and the email worker's key when they are configured. Nothing
is written, sent or printed in clear: keys show as fingerprints only.
--url defaults to PUBLIC_BASE_URL (else http://localhost:$PORT).
Exit: 0 every check passed or was skipped, 1 some check failed, 2 bad usage or environment.`;

/** Bad flags or environment: exit 2 with the reason. */
class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({
      options: { help: { type: "boolean", short: "h" }, url: { type: "string" } },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(): Promise<number> {
  const flags = parse();
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`invalid ${error.message}`);
    throw error;
  }
  const url = flags.url ?? config.publicBaseUrl;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url: "${url}" is not an http(s) URL`);
  }
  console.log(`doctor: checking ${url}`);
  const checks = await runDoctor({ config, baseUrl: url, clock: systemClock });
  for (const check of checks) console.log(formatCheck(check));
  const failed = checks.filter((c) => c.status === "fail").length;
  console.log(failed ? `${failed} check(s) failed` : "all checks passed");
  return doctorPassed(checks) ? 0 : 1;
}

try {
  Deno.exit(await main());
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`doctor: ${error.message}\nRun with --help for usage.`);
  Deno.exit(2);
}
