/**
 * `deno task steve`: sends SteVe's hook calls, signed as its fork signs them
 * (docs/steve-stand-in.md). Argument parsing and printing only; the calls are
 * lib/steve_stand_in.ts. Output is the product here, so it goes to the
 * console rather than a logger.
 */
import { parseArgs } from "node:util";
import { systemClock } from "../lib/clock.ts";
import {
  buildPreAuthorizeBody,
  createSteveSender,
  DEFAULT_SESSION,
  type HookAnswer,
  postSigned,
  runSession,
  type SessionOptions,
  STEVE_HOOKS,
  type SteveKeys,
} from "../lib/steve_stand_in.ts";

/** The command that sends one hook, e.g. "pre-authorize": the last segment of its path. */
const commandOf = (hook: keyof SteveKeys) => STEVE_HOOKS[hook].path.split("/").at(-1)!;
const variableOf = (hook: keyof SteveKeys) => STEVE_HOOKS[hook].secretVariables[0];

const USAGE = `Usage:
  deno task steve pre-authorize --charger ID --tag ID [--connector N] [--start] [--url URL]
  deno task steve session --charger ID --tag ID [--connector N] [--transaction PK]
      [--readings N] [--interval-ms MS] [--start-wh WH] [--kw KW] [--phases 1-3] [--url URL]

Keys: ${variableOf("preAuthorize")} signs ${commandOf("preAuthorize")}, ${
  variableOf("meterValues")
} signs ${commandOf("meterValues")}.
--url defaults to $EXPRESSYNC_URL, else http://localhost:8000.
Defaults: --connector ${DEFAULT_SESSION.connectorId}, --readings ${DEFAULT_SESSION.readings}, --interval-ms ${DEFAULT_SESSION.intervalMs}, --start-wh ${DEFAULT_SESSION.startWh}, --kw ${DEFAULT_SESSION.kw}, --phases ${DEFAULT_SESSION.phases}; --transaction random.
Exit: 0 every call answered 2xx, 1 some call did not, 2 bad usage or missing key.`;

/** Bad flags or environment: exit 2 with the reason. */
class UsageError extends Error {}

const text = { type: "string" } as const;
const flag = { type: "boolean" } as const;

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { ...flag, short: "h" },
        url: text,
        charger: text,
        tag: text,
        connector: text,
        start: flag,
        transaction: text,
        readings: text,
        "interval-ms": text,
        "start-wh": text,
        kw: text,
        phases: text,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(name: string, value: string | undefined): string {
  if (!value?.trim()) throw new UsageError(`--${name} is required`);
  return value;
}

/** `value` as a number of at least `min` (an integer when `integer`), or `fallback` when absent. */
function number(
  name: string,
  value: string | undefined,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = false } = {},
): number {
  if (value === undefined) return fallback;
  const n = value.trim() === "" ? NaN : Number(value);
  if (
    !(n >= min && n <= max) || (integer && !Number.isInteger(n))
  ) {
    const kind = integer ? "an integer" : "a number";
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be ${kind} ${range}, not "${value}"`);
  }
  return n;
}

/** The secret `hook` is signed with, from its registry entry's variable. */
function key(hook: keyof SteveKeys): string {
  const variable = variableOf(hook);
  const value = Deno.env.get(variable);
  if (!value) {
    throw new UsageError(`${variable} is not set (it signs ${commandOf(hook)} calls)`);
  }
  return value;
}

function baseUrl(value: string | undefined): string {
  const url = value ?? Deno.env.get("EXPRESSYNC_URL") ??
    "http://localhost:8000";
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url: "${url}" is not an http(s) URL`);
  }
  return url;
}

type Flags = ReturnType<typeof parse>["values"];

const show = (a: HookAnswer) => `${a.status || "no answer"} ${JSON.stringify(a.answer)}`;

/** Runbook step 4 in one line: one signed pre-authorize, its status and answer. */
async function preAuthorizeCommand(v: Flags, url: string): Promise<number> {
  const body = buildPreAuthorizeBody({
    chargeBoxId: required("charger", v.charger),
    idTag: required("tag", v.tag),
    connectorId: number("connector", v.connector, DEFAULT_SESSION.connectorId, {
      integer: true,
    }),
    isStartTx: v.start ?? false,
    at: systemClock.now(),
  });
  const answer = await postSigned(STEVE_HOOKS.preAuthorize, url, key("preAuthorize"), body);
  console.log(show(answer));
  return answer.ok ? 0 : 1;
}

/** A whole session, one line per call as it is answered, then a summary. */
async function sessionCommand(v: Flags, url: string): Promise<number> {
  const d = DEFAULT_SESSION;
  const options: SessionOptions = {
    chargeBoxId: required("charger", v.charger),
    idTag: required("tag", v.tag),
    connectorId: number("connector", v.connector, d.connectorId, {
      integer: true,
    }),
    transactionPk: v.transaction === undefined
      ? undefined
      : number("transaction", v.transaction, 0, { integer: true }),
    readings: number("readings", v.readings, d.readings, { integer: true }),
    intervalMs: number("interval-ms", v["interval-ms"], d.intervalMs),
    startWh: number("start-wh", v["start-wh"], d.startWh),
    kw: number("kw", v.kw, d.kw),
    phases: number("phases", v.phases, d.phases, {
      integer: true,
      min: 1,
      max: 3,
    }),
  };
  const keys: SteveKeys = { preAuthorize: key("preAuthorize"), meterValues: key("meterValues") };
  const result = await runSession({
    send: createSteveSender({ baseUrl: url, keys }),
    clock: systemClock,
    onCall: (call) => console.log(`${call.step.padEnd(30)} ${show(call)}`),
  }, options);
  const failed = result.calls.filter((c) => !c.ok).length;
  const calls = `${result.calls.length} calls, ${failed ? `${failed} not 2xx` : "all 2xx"}`;
  if (result.blocked) {
    console.log(
      `tap BLOCKED (scan-to-login took it), no transaction; ${calls}`,
    );
  } else {
    const where = `${options.chargeBoxId} connector ${options.connectorId}`;
    console.log(
      `transaction ${result.transactionPk} on ${where}: ${result.kwh} kWh ` +
        `(register ${result.beginWh} → ${result.endWh} Wh); ${calls}`,
    );
  }
  return result.ok ? 0 : 1;
}

async function main(): Promise<number> {
  const { values, positionals } = parse();
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, ...extra] = positionals;
  if (extra.length) throw new UsageError(`unexpected "${extra.join(" ")}"`);
  const url = baseUrl(values.url);
  if (command === commandOf("preAuthorize")) {
    return await preAuthorizeCommand(values, url);
  }
  if (command === "session") return await sessionCommand(values, url);
  throw new UsageError(
    command ? `unknown command "${command}"` : "missing command",
  );
}

try {
  Deno.exit(await main());
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`steve: ${error.message}\nRun with --help for usage.`);
  Deno.exit(2);
}
