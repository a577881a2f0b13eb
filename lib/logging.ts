/**
 * Structured JSON-line logs through LogTape, one category per concern
 * (`["expressync", "PreAuthorize"]`, …).
 *
 * Never log bodies, secrets, signatures, idTags, chargeBoxIds, emails or names:
 * log {@link hashForLog} of an identifier so operators can still correlate.
 */
import { createHash } from "node:crypto";
import {
  configure,
  getLogger,
  getStreamSink,
  jsonLinesFormatter,
  type Logger,
  type LogLevel,
  reset,
  type Sink,
} from "@logtape/logtape";

export type { Logger };

const ROOT = "expressync";

/** Sends every ExpresSync log record at `level` or above to `sink` (stdout by default). */
export async function setupLogging(
  level: LogLevel,
  sink: Sink = getStreamSink(Deno.stdout.writable, {
    formatter: jsonLinesFormatter,
  }),
): Promise<void> {
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [ROOT], lowestLevel: level, sinks: ["main"] },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["main"],
      },
    ],
  });
}

export async function teardownLogging(): Promise<void> {
  await reset();
}

/** The logger of one concern, e.g. `logger("PreAuthorize")`. */
export function logger(category: string): Logger {
  return getLogger([ROOT, category]);
}

/** Short SHA-256 of an identifier: enough to correlate, useless to recover it. */
export function hashForLog(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 12);
}
