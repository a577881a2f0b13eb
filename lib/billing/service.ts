/**
 * Billing as the app runs it: the Lago delivery worker, the SteVe session
 * resolver, and the reconciliation sweep (on its cron schedule, soon after a
 * Transaction.End, and on demand). Scheduled and after-end sweeps run on one
 * instance each (lib/scheduled_runs.ts). Built with the app; its loops start only
 * when `start()` is called, so tests drive each step themselves.
 */
import { Cron } from "croner";
import type { Database } from "../../db/client.ts";
import type { SweepRun } from "../../db/queries/billing.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { EventBus } from "../event_bus.ts";
import { errorSummary, logger } from "../logging.ts";
import { createLagoSender } from "./lago_client.ts";
import {
  deliverOnce,
  type LagoStatus,
  type LagoWorkerDeps,
  startLagoWorker,
} from "./lago_worker.ts";
import { runSweep, type SweepDeps } from "./reconcile.ts";
import { cronSlot, runOncePerSlot } from "../scheduled_runs.ts";
import { type ResolverDeps, resolveSessionsOnce } from "./session_resolver.ts";
import { createSteveApi, type SteveStatus } from "./steve_api.ts";

/** How long after a Transaction.End the sweep looks at that transaction (SteVe records the stop first). */
export const SWEEP_AFTER_END_MS = 30_000;
const RESOLVE_EVERY_MS = 2_000;

export interface Billing {
  lagoStatus: LagoStatus;
  steveStatus: SteveStatus;
  worker: LagoWorkerDeps;
  resolver: ResolverDeps | null;
  sweep: SweepDeps;
  /** Runs one sweep now and answers its record. */
  sweepNow(trigger: string, transactionPk?: number): Promise<SweepRun>;
  /** Starts the loops and the schedule; the returned function stops them. */
  start(
    options?: { workerIdleMs?: number; sweepAfterEndMs?: number },
  ): () => Promise<void>;
}

export function createBilling(
  deps: {
    config: Config;
    db: Database;
    clock: Clock;
    bus: EventBus;
    instanceId: string;
  },
): Billing {
  const { config, db, clock, bus } = deps;
  const log = logger("Billing");
  const lagoStatus: LagoStatus = {
    configured: !!config.lago,
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
  };
  const steveStatus: SteveStatus = {
    state: config.steveApi ? "ok" : "not_configured",
    lastSuccessAt: null,
    lastErrorAt: null,
    lastError: null,
  };
  const steve = config.steveApi
    ? createSteveApi({ ...config.steveApi, status: steveStatus, clock: deps.clock })
    : null;
  const worker: LagoWorkerDeps = {
    db,
    clock,
    sender: config.lago
      ? createLagoSender({ ...config.lago, timeoutMs: config.lagoTimeoutMs })
      : null,
    leaseMs: 3 * config.lagoTimeoutMs,
    metricCode: config.lagoMetricCode,
    metricField: config.lagoMetricField,
    owner: deps.instanceId,
    log,
    status: lagoStatus,
  };
  const resolver = steve ? { db, clock, bus, steve, log } : null;
  const sweep: SweepDeps = {
    db,
    clock,
    steve,
    lookbackHours: config.reconcileLookbackHours,
    log,
  };
  const scheduled = { db, clock, instanceId: deps.instanceId };
  let sweeping: Promise<SweepRun> = Promise.resolve(
    null as unknown as SweepRun,
  );
  // One sweep at a time in this process; across instances the per-transaction lock decides.
  const sweepNow = (trigger: string, transactionPk?: number) =>
    sweeping = sweeping.catch(() => {}).then(() => runSweep(sweep, { trigger, transactionPk }));

  return {
    lagoStatus,
    steveStatus,
    worker,
    resolver,
    sweep,
    sweepNow,
    start(options = {}) {
      const lago = startLagoWorker(worker, { idleMs: options.workerIdleMs });
      const resolveTimer = resolver &&
        setInterval(() => {
          resolveSessionsOnce(resolver).catch((error) =>
            log.warn("resolver round failed", { error: errorSummary(error) })
          );
        }, RESOLVE_EVERY_MS);
      // Every instance keeps the schedule; the slot's claim lets one of them sweep.
      const cron = new Cron(
        config.reconcileCron,
        { protect: true },
        async (self) => {
          const slot = cronSlot(self, self.currentRun() ?? clock.now());
          await runOncePerSlot(
            scheduled,
            { job: "reconcile.schedule", slot },
            () => sweepNow("schedule"),
          ).catch((error) => log.error("sweep failed", { error: errorSummary(error) }));
        },
      );
      const afterEnd = new Map<number, ReturnType<typeof setTimeout>>();
      const unsubscribe = bus.subscribe("transaction.meter", (s) => {
        if (!s.endedAt || afterEnd.has(s.transactionPk) || !steve) return;
        afterEnd.set(
          s.transactionPk,
          // Every instance hears the end over the bus; the claim lets one of them sweep it.
          setTimeout(() => {
            runOncePerSlot(
              scheduled,
              { job: "reconcile.transaction_end", slot: String(s.transactionPk) },
              () => sweepNow("transaction_end", s.transactionPk),
            ).catch(() => {})
              .finally(() => afterEnd.delete(s.transactionPk));
          }, options.sweepAfterEndMs ?? SWEEP_AFTER_END_MS),
        );
      });
      return async () => {
        unsubscribe();
        cron.stop();
        if (resolveTimer) clearInterval(resolveTimer);
        for (const timer of afterEnd.values()) clearTimeout(timer);
        await lago.stop();
        await sweeping.catch(() => {});
      };
    },
  };
}

export { deliverOnce };
