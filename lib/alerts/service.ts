/**
 * Operator alerts (issue 14 §3): every instance runs a round every 10 s that
 * flushes its hook counts, reports its own unusable hook keys, reads which
 * causes hold (./causes.ts) and raises or clears them in `alerts`. Each
 * transition is one conditional statement in one transaction with its mails
 * (lib/email/outbox.ts), so of several instances exactly one raises (or
 * clears) a cause and queues its mails, one per `ALERT_EMAIL` recipient.
 *
 * One raise mail per cause per hour: a cause that clears and holds again
 * within the hour of its last raise mail is tracked, not mailed. A recovered
 * mail goes only for an episode whose raise was mailed. Without `ALERT_EMAIL`
 * alerts are tracked and nothing is mailed.
 */
import type { Database } from "../../db/client.ts";
import { activeAlertCauses, clearAlert, raiseAlert } from "../../db/queries/alerts.ts";
import { reportHookKeyProblems, withdrawHookKeyReports } from "../../db/queries/hook_outcomes.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import { queueEmail } from "../email/outbox.ts";
import type { HookStats } from "../hook_stats.ts";
import { errorSummary, type Logger, logger } from "../logging.ts";
import { startRoundLoop } from "../round_loop.ts";
import { ENV_SIGNED_ENDPOINT_LIST } from "../signed_endpoints.ts";
import { type AlertDetail, currentCauses } from "./causes.ts";
import { raisedMail, recoveredMail } from "./mail.ts";

/** How often each instance evaluates the causes: well within the 30 s the issue allows. */
export const ALERT_ROUND_MS = 10_000;
/** At most one raise mail per cause in this long. */
export const ALERT_MAIL_QUIET_MS = 3600_000;

export interface AlertDeps {
  db: Database;
  clock: Clock;
  config: Pick<Config, "alertEmails" | "hooks" | "publicBaseUrl">;
  hookStats: HookStats;
  /** This process, in `hook_key_reports`. */
  instanceId: string;
  log: Logger;
}

export interface Alerts {
  deps: AlertDeps;
  /** Starts the rounds (the first at once); the returned function stops them. */
  start(options?: { everyMs?: number }): () => Promise<void>;
}

export function createAlerts(deps: Omit<AlertDeps, "log"> & { log?: Logger }): Alerts {
  const full: AlertDeps = { ...deps, log: deps.log ?? logger("Alerts") };
  return {
    deps: full,
    start(options = {}) {
      const loop = startRoundLoop({
        round: async () => {
          await alertRound(full);
          return false;
        },
        onError: (error) => full.log.error("alert round failed", { error: errorSummary(error) }),
        idleMs: options.everyMs ?? ALERT_ROUND_MS,
      });
      return async () => {
        await loop.stop();
        // Its keys no longer speak for a running instance: the next round elsewhere clears them.
        await withdrawHookKeyReports(full.db, full.instanceId).catch((error) =>
          full.log.warn("withdrawing hook key reports failed", { error: errorSummary(error) })
        );
      };
    },
  };
}

/** The mail ids' form of a cause: lower case, dashes (`hook-401-preauthorize`). */
export function causeSlug(cause: string): string {
  return cause.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** What one round changed, for tests and logs. */
export interface AlertRoundResult {
  raised: string[];
  cleared: string[];
  /** Mails queued by this instance in this round. */
  mailsQueued: number;
}

/**
 * One evaluation: flush this instance's hook counts, refresh its key
 * reports, then raise what holds and is not active, clear what is active
 * and no longer holds. Returns what this instance changed.
 */
export async function alertRound(deps: AlertDeps): Promise<AlertRoundResult> {
  await deps.hookStats.flush(deps.db);
  const now = deps.clock.now();
  const problems = ENV_SIGNED_ENDPOINT_LIST.flatMap(([id]) => {
    const key = deps.config.hooks[id];
    return key.usable ? [] : [{ endpoint: id, problem: key.problem }];
  });
  await reportHookKeyProblems(deps.db, { instanceId: deps.instanceId, problems, now });

  const holding = await currentCauses(deps.db, now);
  const active = new Set(await activeAlertCauses(deps.db));
  const result: AlertRoundResult = { raised: [], cleared: [], mailsQueued: 0 };
  for (const [cause, detail] of holding) {
    if (active.has(cause)) continue;
    const mails = await raise(deps, cause, detail, now);
    if (mails !== null) {
      result.raised.push(cause);
      result.mailsQueued += mails;
    }
  }
  for (const cause of active) {
    if (holding.has(cause)) continue;
    const mails = await clear(deps, cause, now);
    if (mails !== null) {
      result.cleared.push(cause);
      result.mailsQueued += mails;
    }
  }
  return result;
}

/** Raises `cause` unless another instance just did; answers the mails queued, or null. */
async function raise(
  deps: AlertDeps,
  cause: string,
  detail: AlertDetail,
  now: Date,
): Promise<number | null> {
  const recipients = deps.config.alertEmails;
  const outcome = await deps.db.transaction(async (tx) => {
    const raised = await raiseAlert(tx, {
      cause,
      now,
      detail: JSON.stringify(detail),
      mailing: recipients.length > 0,
      quietBefore: new Date(now.getTime() - ALERT_MAIL_QUIET_MS),
    });
    if (!raised) return null;
    let queued = 0;
    if (raised.mailed) {
      const mail = raisedMail(detail, {
        raisedAt: raised.raisedAt,
        baseUrl: deps.config.publicBaseUrl,
      });
      const id = `alert-${causeSlug(cause)}-${raised.raisedAt.getTime()}`;
      for (const [i, to] of recipients.entries()) {
        if (await queueEmail(tx, { id: `${id}-${i}`, purpose: "alert", to, ...mail }, now)) {
          queued++;
        }
      }
    }
    return { mailed: raised.mailed, queued };
  });
  if (!outcome) return null;
  deps.log.warn("alert raised", {
    cause,
    outcome: outcome.mailed
      ? "mailed"
      : recipients.length
      ? "not mailed: mailed within the hour"
      : "not mailed: ALERT_EMAIL is not set",
    mails: outcome.queued,
  });
  return outcome.queued;
}

/** Clears `cause` unless another instance just did; answers the mails queued, or null. */
async function clear(deps: AlertDeps, cause: string, now: Date): Promise<number | null> {
  const recipients = deps.config.alertEmails;
  const outcome = await deps.db.transaction(async (tx) => {
    const cleared = await clearAlert(tx, { cause, now });
    if (!cleared) return null;
    let queued = 0;
    if (cleared.mailed) {
      const mail = recoveredMail(JSON.parse(cleared.detail) as AlertDetail, {
        raisedAt: cleared.raisedAt,
        clearedAt: now,
      });
      const id = `alert-${causeSlug(cause)}-recovered-${cleared.raisedAt.getTime()}`;
      for (const [i, to] of recipients.entries()) {
        if (await queueEmail(tx, { id: `${id}-${i}`, purpose: "alert", to, ...mail }, now)) {
          queued++;
        }
      }
    }
    return { mailed: cleared.mailed, queued };
  });
  if (!outcome) return null;
  deps.log.info("alert cleared", {
    cause,
    outcome: outcome.mailed ? "mailed" : "not mailed: its raise was not mailed",
    mails: outcome.queued,
  });
  return outcome.queued;
}
