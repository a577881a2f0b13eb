/**
 * `POST /api/ocpp/pre-authorize`: SteVe asks on every Authorize.req and
 * StartTransaction.req whether to override its decision. We answer BLOCKED
 * only to hand a tap to a customer waiting at that charger (scan-to-login);
 * otherwise `null` and SteVe decides as usual.
 *
 * SteVe's budget is ~200 ms and it fails open, so our job is to answer fast:
 * the decision is one indexed statement, bounded by {@link PRE_AUTHORIZE_DEADLINE_MS}.
 */
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { stealOrMatchPair } from "../db/queries/scan_pairs.ts";
import { insertPendingStart } from "../db/queries/sessions.ts";
import type { ChargerRegistry } from "./chargers.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import type { EventPublisher } from "./event_bus.ts";
import type { FeatureFlags } from "./flags.ts";
import { errorSummary, hashForLog, type Logger } from "./logging.ts";
import { connectorId, ocppIdentifier } from "./identifiers.ts";

/** Past this the answer is 500 rather than late: SteVe gives up at ~200 ms anyway. */
export const PRE_AUTHORIZE_DEADLINE_MS = 150;

export const preAuthorizeBody = z.object({
  idTag: ocppIdentifier,
  chargeBoxId: ocppIdentifier,
  connectorId: connectorId.optional(),
  isStartTx: z.boolean().optional(),
  ts: z.number().optional(),
});
export type PreAuthorizeBody = z.infer<typeof preAuthorizeBody>;

export interface PreAuthorizeDeps {
  db: Database;
  bus: EventPublisher;
  clock: Clock;
  flags: FeatureFlags;
  chargers: ChargerRegistry;
  log: Logger;
  /** How long a matched pair waits for its browser to log in. */
  loginWindowSeconds: number;
  deadlineMs?: number;
}

export type Override = "BLOCKED" | null;

/** Decides the override for a verified call. Throws 503 disabled or 500 internal. */
export async function preAuthorize(
  deps: PreAuthorizeDeps,
  body: PreAuthorizeBody,
): Promise<Override> {
  if (!deps.flags.isEnabled("pre-authorize")) {
    throw new AppError("disabled");
  }
  const work = decide(deps, body);
  return await withDeadline(
    work,
    deps.deadlineMs ?? PRE_AUTHORIZE_DEADLINE_MS,
    () => {
      deps.log.error("pre-authorize exceeded its deadline", {
        chargeBox: hashForLog(body.chargeBoxId),
        deadlineMs: deps.deadlineMs ?? PRE_AUTHORIZE_DEADLINE_MS,
      });
    },
  );
}

async function decide(
  deps: PreAuthorizeDeps,
  body: PreAuthorizeBody,
): Promise<Override> {
  const now = deps.clock.now();
  // Hashed only when a line is written: the common answer (null) logs nothing at info.
  const ids = () => ({ chargeBox: hashForLog(body.chargeBoxId), idTag: hashForLog(body.idTag) });
  let result;
  try {
    [result] = await Promise.all([
      stealOrMatchPair(deps.db, {
        chargeBoxId: body.chargeBoxId,
        idTag: body.idTag,
        now,
        loginWindowSeconds: deps.loginWindowSeconds,
      }),
      deps.chargers.remember(deps.db, body.chargeBoxId).catch((error) =>
        deps.log.warn("could not record charger", {
          ...ids(),
          error: errorSummary(error),
        })
      ),
    ]);
  } catch (error) {
    deps.log.error("steal-or-match failed", {
      ...ids(),
      error: errorSummary(error),
    });
    throw new AppError("internal");
  }

  if (result.outcome === "stolen") {
    deps.bus.publish("scan.intercepted", {
      pairId: result.pairId,
      chargeBoxId: body.chargeBoxId,
    });
    deps.log.info("scan.intercepted", {
      ...ids(),
      isStartTx: body.isStartTx ?? false,
    });
    return "BLOCKED";
  }
  if (result.outcome === "rematched") {
    deps.log.info("pre-authorize blocked again for the matched tag", ids());
    return "BLOCKED";
  }
  if (body.isStartTx && body.connectorId !== undefined) {
    try {
      await insertPendingStart(deps.db, {
        chargeBoxId: body.chargeBoxId,
        connectorId: body.connectorId,
        idTag: body.idTag,
        now,
      });
    } catch (error) {
      // The answer is still right; only the session's tag will come later (SteVe's API).
      deps.log.warn("could not record pending start", {
        ...ids(),
        error: errorSummary(error),
      });
    }
  }
  deps.log.debug("pre-authorize: no override", () => ids());
  return null;
}

/** Resolves like `work`, or rejects with 500 once `ms` pass (the work carries on). */
async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onLate: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new AppError("internal"));
    }, ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
