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
  // Non-blocking: records are buffered and written in batches, off the request path.
  sink: Sink = getStreamSink(Deno.stdout.writable, {
    formatter: jsonLinesFormatter,
    nonBlocking: true,
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

/**
 * What of an error may be logged: its SQLSTATE code and the innermost message.
 * Never the error itself: drizzle's "Failed query" message carries the
 * statement's parameters (idTags, chargeBoxIds).
 */
export function errorSummary(
  error: unknown,
): { code?: string; message: string } {
  let inner = error;
  while (
    inner && typeof inner === "object" && "cause" in inner && inner.cause
  ) inner = inner.cause;
  const code = (inner as { code?: unknown })?.code;
  const message = inner instanceof Error ? inner.message : String(inner);
  return {
    ...(typeof code === "string" ? { code } : {}),
    message: message.startsWith("Failed query") ? "query failed" : message.slice(0, 200),
  };
}
