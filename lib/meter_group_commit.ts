/**
 * Group commit of meter-values calls (issue 15 §2). One WAL flush per call
 * bounded the hook (docs/performance.md): here calls that arrive while the
 * commits in flight (at most {@link METER_BATCHES_IN_FLIGHT}) are busy wait for
 * one to finish and then go together in the next, as one statement per round
 * (a round holds at most one call per transaction), so a batch costs one plan
 * and one flush. Each call is answered only after the
 * commit that holds its samples. A lone call on an idle server goes at once.
 *
 * A batch that fails (bad data the schema let through, a constraint, a
 * deadlock with another instance's batch) is rolled back whole and its calls
 * are committed one by one, so only the call at fault fails.
 */
import type { Database, Executor } from "../db/client.ts";
import { type LiveSession, type MeterCall, recordMeterReadings } from "../db/queries/sessions.ts";
import type { Clock } from "./clock.ts";
import { errorSummary, type Logger } from "./logging.ts";

/** Stores one call, answering its session once committed (null: it changed nothing). */
export type RecordMeterCall = (call: MeterCall) => Promise<LiveSession | null>;

/** Calls per batch at most; more wait for the next. */
export const METER_BATCH_MAX = 200;
/**
 * Batches committing at once. One: measured in bench/run.ts (meter, 20 s,
 * batches in a transaction), one at a time did 5.5k calls/s, two 4.5k
 * (smaller batches, more commits, PostgreSQL busier for less).
 */
export const METER_BATCHES_IN_FLIGHT = 1;

interface Waiting {
  call: MeterCall;
  resolve: (session: LiveSession | null) => void;
  reject: (error: unknown) => void;
}

/** Splits a batch, in arrival order, into rounds of at most one call per transaction. */
export function roundsOf<T extends { call: MeterCall }>(batch: T[]): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<number, number>();
  for (const item of batch) {
    const pk = item.call.reading.transactionPk;
    const round = seen.get(pk) ?? 0;
    seen.set(pk, round + 1);
    (rounds[round] ??= []).push(item);
  }
  return rounds;
}

export function meterGroupCommit(
  deps: { db: Database; clock: Clock; log: Logger },
  options: { maxBatch?: number; maxConcurrent?: number } = {},
): RecordMeterCall {
  const maxBatch = options.maxBatch ?? METER_BATCH_MAX;
  const maxConcurrent = options.maxConcurrent ?? METER_BATCHES_IN_FLIGHT;
  let queue: Waiting[] = [];
  let committing = 0;

  const record = (db: Executor, calls: Waiting[], now: Date) =>
    recordMeterReadings(db, { calls: calls.map((w) => w.call), now });

  async function commit(batch: Waiting[]): Promise<void> {
    const now = deps.clock.now();
    const rounds = roundsOf(batch);
    try {
      // Unprepared, so PostgreSQL plans each batch for its own rows: as a prepared statement
      // its generic plan slowed as the tables grew (a batch of 20: 2.1 ms, then 7.8 ms after
      // 2,000 batches; planned each time, a flat 1.8 ms). One round is one statement,
      // atomic alone; several share a transaction.
      const results = rounds.length === 1
        ? [await record(deps.db.unprepared, rounds[0], now)]
        : await deps.db.transaction(async (tx) => {
          const out: Array<Array<LiveSession | null>> = [];
          for (const round of rounds) out.push(await record(tx, round, now));
          return out;
        });
      rounds.forEach((round, i) => round.forEach((w, j) => w.resolve(results[i][j])));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      deps.log.warn("meter batch failed; committing its calls one by one", {
        calls: batch.length,
        error: errorSummary(error),
      });
      for (const w of batch) {
        try {
          w.resolve((await record(deps.db.unprepared, [w], now))[0]);
        } catch (error) {
          w.reject(error);
        }
      }
    }
  }

  /** Starts batches from the queue while fewer than `maxConcurrent` are committing. */
  function pump(): void {
    while (queue.length > 0 && committing < maxConcurrent) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      committing++;
      commit(batch).finally(() => {
        committing--;
        pump();
      });
    }
  }

  return (call) =>
    new Promise((resolve, reject) => {
      queue.push({ call, resolve, reject });
      pump();
    });
}
