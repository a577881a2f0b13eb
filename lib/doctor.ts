/**
 * `deno task doctor`: runbook seed 000 steps 2–4 in one command, against a
 * running instance, from the environment the instance is started with. Each
 * check is one line with its fix; none of them prints a secret (keys show as
 * {@link keyFingerprint}, the value `GET /api/admin/hooks` shows) or changes
 * anything: every signed probe is refused after its signature is checked
 * (meter-values, Plug&Charge and the email worker at the body's shape, before
 * anything is stored, sent or a nonce spent), or is the runbook's
 * pre-authorize, which no armed scan-pair can match (like the runbook's curl,
 * it records charger "TEST" as seen, once).
 */
import type { Clock } from "./clock.ts";
import { checkLagoCredentials } from "./billing/lago_client.ts";
import { createSteveApi, SteveApiError } from "./billing/steve_api.ts";
import { type Config, type HookKey, minSecretLength } from "./config.ts";
import { SIGNATURE_HEADER as EMAIL_SIGNATURE_HEADER } from "./email/sender.ts";
import { keyFingerprint } from "./hook_stats.ts";
import { type EnvSignedEndpointId, SIGNED_ENDPOINTS } from "./signed_endpoints.ts";
import { signHex } from "./signatures/mod.ts";
import { type HookAnswer, hookUrl, postSigned } from "./steve_stand_in.ts";

/** `ok` passed, `fail` needs the fix, `skip` not configured (nothing to check). */
export type CheckStatus = "ok" | "fail" | "skip";

export interface DoctorCheck {
  /** What was checked, e.g. "key STEVE_PREAUTH_HMAC_KEY". */
  name: string;
  status: CheckStatus;
  /** What was found: never a secret. */
  detail: string;
  /** What to do; set when `status` is `fail`. */
  fix?: string;
}

export interface DoctorDeps {
  config: Config;
  /** The running instance, e.g. `http://localhost:8000`. */
  baseUrl: string;
  clock: Clock;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

/**
 * The runbook's step-4 body: no scan-pair is armed on charger "TEST", so a
 * verified call answers `{"override":null}` and writes nothing.
 */
export const RUNBOOK_PREAUTHORIZE_BODY = {
  idTag: "TEST",
  chargeBoxId: "TEST",
  connectorId: 1,
  isStartTx: false,
  ts: 0,
} as const;

/**
 * A body every probed receiver refuses at its shape check, after the
 * signature: 400 proves the key (401 disproves it) and nothing is stored or sent.
 */
export const SHAPE_PROBE_BODY = { probe: "expressync-doctor" } as const;

/** The env-keyed endpoints the doctor checks, in the order it prints them. */
const KEYED: ReadonlyArray<{ id: EnvSignedEndpointId; required: boolean }> = [
  { id: "preAuthorize", required: true },
  { id: "meterValues", required: true },
  // Plug&Charge is optional: unset means its webhooks are refused, by choice.
  { id: "pnc", required: false },
];

const variableOf = (id: EnvSignedEndpointId) => SIGNED_ENDPOINTS[id].secretVariables[0];
const steveSide = (id: EnvSignedEndpointId) =>
  id === "pnc" ? "Hubject's webhook registration" : "SteVe's environment";

/** Runbook step 2, per key: present, long enough, and its fingerprint. */
export function checkKey(id: EnvSignedEndpointId, key: HookKey, required: boolean): DoctorCheck {
  const variable = variableOf(id);
  const name = `key ${variable}`;
  const min = minSecretLength(SIGNED_ENDPOINTS[id]);
  if (key.usable) {
    const rotation = key.previous?.length ? `, +${key.previous.length} rotation key` : "";
    return {
      name,
      status: "ok",
      detail: `set, ${key.secret.length} characters, fingerprint ${
        keyFingerprint(key.secret)
      }${rotation}`,
    };
  }
  if (key.problem === "missing_key") {
    if (!required) {
      return { name, status: "skip", detail: "not set (its endpoint refuses every call)" };
    }
    return {
      name,
      status: "fail",
      detail: "not set: its hook answers 401 to every call",
      fix: `set ${variable} (openssl rand -hex 32) in ExpresSync's environment and the same ` +
        `value in ${steveSide(id)}, then restart both`,
    };
  }
  return {
    name,
    status: "fail",
    detail: `shorter than ${min} characters: its hook answers 401 to every call`,
    fix:
      `replace ${variable} with a new key (openssl rand -hex 32) on both sides, then restart both`,
  };
}

const describe = (a: HookAnswer) =>
  a.status === 0
    ? "no answer"
    : `${a.status} ${
      typeof a.answer === "string" ? a.answer.slice(0, 80) : JSON.stringify(a.answer)
    }`;

const errorOf = (a: HookAnswer) => (a.answer as { error?: unknown } | null)?.error;

/** The fix when the instance did not answer at all. */
const unreachableFix = (baseUrl: string) =>
  `start ExpresSync, or point --url at it (tried ${baseUrl})`;

/** Runbook step 4: a signed call to `id`'s hook, and what its answer proves. */
async function probeHook(
  deps: DoctorDeps,
  id: EnvSignedEndpointId,
  key: HookKey,
): Promise<DoctorCheck | null> {
  const endpoint = SIGNED_ENDPOINTS[id];
  const variable = variableOf(id);
  const name = `hook ${endpoint.path}`;
  if (!key.usable) {
    if (id === "pnc" && key.problem === "missing_key") return null;
    return { name, status: "skip", detail: `not probed: ${variable} is not usable here` };
  }
  const fingerprint = keyFingerprint(key.secret);
  const body = id === "preAuthorize" ? RUNBOOK_PREAUTHORIZE_BODY : SHAPE_PROBE_BODY;
  const answer = await postSigned(
    endpoint,
    deps.baseUrl,
    key.secret,
    body,
    fetch,
    AbortSignal.timeout(deps.timeoutMs ?? 10_000),
  );
  const got = describe(answer);
  if (answer.status === 0) {
    return { name, status: "fail", detail: got, fix: unreachableFix(deps.baseUrl) };
  }
  if (answer.status === 401) {
    return {
      name,
      status: "fail",
      detail:
        `${got}: the running instance holds another ${variable} than fingerprint ${fingerprint}`,
      fix: `compare fingerprints (GET /api/admin/hooks); fix ${variable} where it differs ` +
        `and restart that side`,
    };
  }
  if (id === "preAuthorize") {
    const override = (answer.answer as { override?: unknown } | null)?.override;
    if (answer.status === 200 && override === null) {
      return { name, status: "ok", detail: `${got}: key accepted (${fingerprint})` };
    }
    if (answer.status === 503) {
      return {
        name,
        status: "fail",
        detail: `${got}: the key is accepted but pre-authorize is switched off`,
        fix: "turn the pre-authorize flag on (/admin/flags, or PREAUTH_ENABLED=true)",
      };
    }
  } else if (answer.status === 400 && errorOf(answer) === "invalid_body") {
    return {
      name,
      status: "ok",
      detail: `400 invalid_body as intended: key accepted (${fingerprint}), nothing stored`,
    };
  }
  return {
    name,
    status: "fail",
    detail: `${got}: not the answer of a verified probe`,
    fix: "read ExpresSync's log for this call (hook " + endpoint.name + ")",
  };
}

/** `GET /health`: the instance is up and its database answers. */
async function checkHealth(deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "GET /health";
  try {
    const response = await fetch(hookUrl(deps.baseUrl, "/health"), {
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
    const body = await response.json().catch(() => null) as
      | { ok?: unknown; database?: unknown }
      | null;
    if (response.ok && body?.ok === true) {
      return { name, status: "ok", detail: `200, database ${String(body.database)} answers` };
    }
    if (response.status === 503) {
      return {
        name,
        status: "fail",
        detail: "503: the instance cannot reach its database",
        fix: "check DATABASE_URL and that PostgreSQL is up",
      };
    }
    return {
      name,
      status: "fail",
      detail: `${response.status}: not ExpresSync's health answer`,
      fix: unreachableFix(deps.baseUrl),
    };
  } catch (error) {
    return {
      name,
      status: "fail",
      detail: `no answer (${(error as Error).name})`,
      fix: unreachableFix(deps.baseUrl),
    };
  }
}

/** Lago's key and metric, by one authenticated read. */
async function checkLago(deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "Lago API";
  const lago = deps.config.lago;
  if (!lago) {
    return { name, status: "skip", detail: "LAGO_API_URL not set: usage events wait in the queue" };
  }
  const code = deps.config.lagoMetricCode;
  const result = await checkLagoCredentials({
    ...lago,
    metricCode: code,
    timeoutMs: deps.timeoutMs,
  });
  switch (result.kind) {
    case "ok":
      return { name, status: "ok", detail: `key accepted, billable metric "${code}" exists` };
    case "unauthorized":
      return {
        name,
        status: "fail",
        detail: `${result.status}: LAGO_API_KEY refused`,
        fix: "set LAGO_API_KEY to the organization's API key (Lago: Developers → API keys)",
      };
    case "no_metric":
      return {
        name,
        status: "fail",
        detail: `key accepted, but no billable metric has the code "${code}"`,
        fix: "create that metric in Lago, or set LAGO_METRIC_CODE to its code",
      };
    case "unreachable":
      return {
        name,
        status: "fail",
        detail: `${result.reason} from ${lago.apiUrl}`,
        fix: "check LAGO_API_URL (the base URL, without /api/v1) and that Lago is up",
      };
  }
}

/** SteVe's REST API credentials, by one list of active transactions. */
async function checkSteveApi(deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "SteVe API";
  const steve = deps.config.steveApi;
  if (!steve) {
    return { name, status: "skip", detail: "STEVE_API_URL not set: sessions are not reconciled" };
  }
  const api = createSteveApi({
    ...steve,
    status: { state: "not_configured", lastSuccessAt: null, lastErrorAt: null, lastError: null },
    timeoutMs: deps.timeoutMs ?? 10_000,
    retries: 0,
    clock: deps.clock,
  });
  try {
    const active = await api.listTransactions({ type: "ACTIVE" });
    return { name, status: "ok", detail: `credentials accepted, ${active.length} active` };
  } catch (error) {
    const state = error instanceof SteveApiError ? error.state : "error";
    return {
      name,
      status: "fail",
      detail: error instanceof SteveApiError ? error.message : "unexpected answer",
      fix: state === "unauthorized"
        ? "set STEVE_API_USER and STEVE_API_PASSWORD to a SteVe web user with API access"
        : "check STEVE_API_URL (ending in /api) and that SteVe is up",
    };
  }
}

/**
 * The email worker's key: a signed `POST /send` whose body fails the shape
 * check, which the worker runs after the signature and before the timestamp,
 * the nonce and the id (workers/email/worker.ts steps 5–8): no mail, no nonce.
 */
async function checkEmailWorker(deps: DoctorDeps): Promise<DoctorCheck> {
  const name = "email worker";
  const worker = deps.config.emailWorker;
  if (!worker) {
    return { name, status: "skip", detail: "EMAIL_WORKER_URL not set: mail waits in the outbox" };
  }
  const fingerprint = keyFingerprint(worker.hmacKey);
  const body = new TextEncoder().encode(JSON.stringify(SHAPE_PROBE_BODY));
  let status: number;
  let error: unknown;
  try {
    const response = await fetch(`${worker.url}/send`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [EMAIL_SIGNATURE_HEADER]: await signHex(worker.hmacKey, body),
      },
      body,
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    });
    status = response.status;
    error = (await response.json().catch(() => null) as { error?: unknown } | null)?.error;
  } catch (e) {
    return {
      name,
      status: "fail",
      detail: `no answer (${(e as Error).name}) from ${worker.url}`,
      fix: "check EMAIL_WORKER_URL and that the worker is deployed",
    };
  }
  if (status === 400 && error === "invalid_body") {
    return { name, status: "ok", detail: `signature accepted (${fingerprint}), nothing sent` };
  }
  if (status === 401) {
    return {
      name,
      status: "fail",
      detail: `401: the worker refuses EMAIL_WORKER_HMAC_KEY (fingerprint ${fingerprint})`,
      fix: "set the worker's POLARIS_SECRET_A (or _B) to EMAIL_WORKER_HMAC_KEY " +
        "(npx wrangler secret put POLARIS_SECRET_A)",
    };
  }
  return {
    name,
    status: "fail",
    detail: `${status} ${String(error ?? "")}: not the worker's answer to a verified probe`,
    fix: "check EMAIL_WORKER_URL points at the email worker (POST /send)",
  };
}

/** Every check, in the order the runbook takes them. */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const { id, required } of KEYED) {
    checks.push(checkKey(id, deps.config.hooks[id], required));
  }
  checks.push(await checkHealth(deps));
  for (const { id } of KEYED) {
    const probe = await probeHook(deps, id, deps.config.hooks[id]);
    if (probe) checks.push(probe);
  }
  checks.push(await checkLago(deps));
  checks.push(await checkSteveApi(deps));
  checks.push(await checkEmailWorker(deps));
  return checks;
}

/** Whether the run passed: no check failed (skipped ones do not count). */
export const doctorPassed = (checks: readonly DoctorCheck[]) =>
  checks.every((c) => c.status !== "fail");

const MARK: { readonly [S in CheckStatus]: string } = { ok: "ok  ", fail: "FAIL", skip: "skip" };

/** One line: mark, name, what was found and, for a failure, `→ fix`. */
export function formatCheck(check: DoctorCheck): string {
  const fix = check.fix ? ` → fix: ${check.fix}` : "";
  return `${MARK[check.status]} ${check.name.padEnd(30)} ${check.detail}${fix}`;
}
