/**
 * Outbound partner events: their names, and their canonical bodies (issue 13
 * §2): RFC 8785 JSON by the `canonicalize` package, so keys are sorted at
 * every level, there is no whitespace, and non-ASCII text stays raw UTF-8.
 */
import canonicalize from "canonicalize";

/** The events a partner may subscribe to. */
export const PARTNER_EVENT_TYPES = [
  "session.started",
  "session.ended",
  "scan.login",
  "pnc.action_needed",
] as const;
export type PartnerEventType = (typeof PARTNER_EVENT_TYPES)[number];

/** The envelope's `timestamp`: ISO-8601 UTC spelled with `+00:00`. */
export function eventTimestamp(at: Date): string {
  return at.toISOString().replace(/Z$/, "+00:00");
}

/**
 * The canonical bytes (as text) of an event: `{"data","id","timestamp","type"}`.
 * Deterministic: the same event always gives the same text, so racing
 * builders of one event agree byte for byte.
 */
export function canonicalEventBody(
  event: { id: string; type: string; at: Date; data: Record<string, unknown> },
): string {
  const text = canonicalize({
    data: event.data,
    id: event.id,
    timestamp: eventTimestamp(event.at),
    type: event.type,
  });
  if (text === undefined) throw new Error("event body is not JSON");
  return text;
}
