/**
 * `POST /api/partners/:partnerId/events`: seed 003's inbound contract, in its
 * order. The partner row decides the header, scheme and secrets of the shared
 * pipeline (lib/signed_request.ts), so nothing here verifies a signature:
 *
 * 1. unknown partner (or not a UUID) → 404 unknown_partner; inactive → 410 inactive_partner
 * 2. pipeline steps 1–4 with the partner's terms (413, 401, 500), then JSON (400 invalid_json)
 * 3. replay guard on the body's `timestamp`, before anything else reads the body → 401
 * 4. shape → 400 invalid_body naming the field
 * 5. dedup per partner, one statement → 200 processed | 200 duplicate
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { insertPartnerEventOnce } from "../db/queries/partners.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import { hashForLog, type Logger } from "./logging.ts";
import { findPartner, type Partner, type PartnerScheme } from "./partners.ts";
import { SIGNED_ENDPOINTS } from "./signed_endpoints.ts";
import {
  type HmacSubtle,
  parseSignedBody,
  parseSignedJson,
  signatureRefusal,
  type SigningTerms,
  type UnauthorizedReason,
  verifySignedBytes,
} from "./signed_request.ts";
import { DEFAULT_TOLERANCE, parseTimestampedHeader, schemeOf } from "./signatures/mod.ts";

const ENTRY = SIGNED_ENDPOINTS.partnerEvents;

/**
 * Seed 003's replay window, in seconds: 300 behind, 60 ahead. The body's
 * `timestamp` and a `timestamped` header's `t` are held to the same one.
 */
export const REPLAY_WINDOW = DEFAULT_TOLERANCE;
const NO_WINDOW = Object.freeze({ past: Infinity, future: Infinity });

export interface PartnerEventDeps {
  db: Database;
  clock: Clock;
  log: Logger;
  /** Replaces `crypto.subtle` (fault tests only). */
  subtle?: HmacSubtle;
}

/** What the partner is answered (seed 003's response table). */
export type PartnerEventAnswer =
  | { status: "processed"; event_id: string }
  | { status: "duplicate"; webhook_event_id: string };

/** ISO-8601 date-time with a zone (`Z` or ±hh:mm); seconds and fraction optional. */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Unix milliseconds of an ISO-8601 timestamp that carries its zone, or null
 * for anything else: a naive time (no offset) cannot be placed in the replay
 * window. Parsed by hand so microsecond fractions (Python's `isoformat()`)
 * and impossible dates are handled the same on every engine.
 */
export function parseOffsetTimestamp(text: unknown): number | null {
  if (typeof text !== "string") return null;
  const m = ISO_WITH_OFFSET.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const ms = Number((m[7] ?? "0").padEnd(3, "0").slice(0, 3));
  const offsetMin = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return null;
  if (Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) return null; // the offset's hh:mm
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(utc).getUTCDate() !== d || d < 1) return null; // 2026-02-30 and the like
  return utc - offsetMin * 60_000;
}

const idField = z.union([
  z.string("must be a string or a number").max(255, "must be at most 255 characters"),
  z.number("must be a string or a number").transform(String),
]).nullish();

/** Seed 003's inbound body; unknown fields are kept in the stored body. */
export const partnerEventBody = z.object({
  event_type: z.string("must be a string").min(1, "must not be empty")
    .max(50, "must be at most 50 characters"),
  timestamp: z.string("must be a string").refine(
    (t) => parseOffsetTimestamp(t) !== null,
    "must be ISO-8601 with a zone offset or Z",
  ),
  webhook_event_id: z.string("must be a string").min(1, "must not be empty")
    .max(128, "must be at most 128 characters").optional(),
  // Devices send UUIDs or numeric ids; both key the dedup hash as their text.
  user_id: idField,
  zone_id: idField,
});
export type PartnerEventBody = z.infer<typeof partnerEventBody>;

/**
 * The key retries collapse on: `webhook_event_id`, else the first 32 hex of
 * SHA-256 over partner id, event_type, user_id and zone_id joined by "\n" (a
 * missing one as ""). Never the timestamp, or every retry would be new.
 */
export function dedupKeyOf(partnerId: string, body: PartnerEventBody): string {
  if (body.webhook_event_id !== undefined) return body.webhook_event_id;
  const tuple = [partnerId, body.event_type, body.user_id ?? "", body.zone_id ?? ""].join("\n");
  return createHash("sha256").update(tuple, "utf8").digest("hex").slice(0, 32);
}

/** The partner's terms now: its current secret, and the previous one while its grace window lasts. */
export function partnerSigningTerms(
  partner: Partner,
  now: Date,
  subtle?: HmacSubtle,
): SigningTerms {
  const scheme = partner.signatureScheme as PartnerScheme;
  const graceOpen = partner.previousSecret !== null &&
    partner.previousSecretValidUntil !== null &&
    now.getTime() < partner.previousSecretValidUntil.getTime();
  return {
    headers: [partner.signatureHeader],
    scheme,
    secrets: graceOpen ? [partner.secret, partner.previousSecret!] : [partner.secret],
    verify: schemeOf(scheme).verify,
    // The window of a `timestamped` header's `t` is judged with the body's `timestamp`, in the
    // replay guard (step 3, after invalid_json), so the scheme here only checks the signature.
    options: { subtle, now: () => now.getTime(), toleranceSeconds: NO_WINDOW },
  };
}

/**
 * Runs the inbound contract on `request` for the partner `partnerId` names
 * and stores a new event. Throws an {@link AppError} for every refusal; a
 * refused call writes nothing.
 */
export async function receivePartnerEvent(
  deps: PartnerEventDeps,
  partnerId: unknown,
  request: Request,
): Promise<PartnerEventAnswer> {
  // 1. Whose secret, before the body is read: an unknown URL costs no read.
  const partner = await findPartner(deps, partnerId);
  if (!partner) throw new AppError("unknown_partner");
  if (!partner.active) throw new AppError("inactive_partner");
  const partnerHash = hashForLog(partner.id);

  // 2. Read, header, format, verify (the shared pipeline), then JSON.
  const now = deps.clock.now();
  const { body, secretIndex } = await verifySignedBytes(
    ENTRY,
    partnerSigningTerms(partner, now, deps.subtle),
    request,
    deps.log,
  );
  const json = parseSignedJson(body);

  // 3. Replay guard (seed 003: it runs before the handler): the body's `timestamp`, and with
  // `timestamped` the header's signed `t`, must both lie in the window.
  const stamp = typeof json === "object" && json !== null && !Array.isArray(json)
    ? parseOffsetTimestamp((json as Record<string, unknown>).timestamp)
    : null;
  if (stamp === null) throw signatureRefusal(ENTRY, "bad_timestamp", deps.log);
  const signedAt = partner.signatureScheme === "timestamped"
    ? parseTimestampedHeader(request.headers.get(partner.signatureHeader) ?? "")?.ms ?? null
    : null;
  const windows = [[stamp, "stale_timestamp", "future_timestamp"], [signedAt, "stale", "future"]];
  for (
    const [at, stale, future] of windows as Array<
      [number | null, UnauthorizedReason, UnauthorizedReason]
    >
  ) {
    if (at === null) continue;
    if (now.getTime() - at > REPLAY_WINDOW.past * 1000) {
      throw signatureRefusal(ENTRY, stale, deps.log);
    }
    if (at - now.getTime() > REPLAY_WINDOW.future * 1000) {
      throw signatureRefusal(ENTRY, future, deps.log);
    }
  }

  // 4. Shape.
  const event = parseSignedBody(json, partnerEventBody);

  // 5. Dedup and store in one statement; racing copies store one row.
  const dedupKey = dedupKeyOf(partner.id, event);
  const stored = await insertPartnerEventOnce(deps.db, {
    partnerId: partner.id,
    dedupKey,
    eventType: event.event_type,
    webhookEventId: event.webhook_event_id ?? null,
    bodyJson: new TextDecoder().decode(body),
    now,
  });
  // Partner hash, type and outcome only: bodies carry user and zone ids (seed 003).
  // Nothing of the body (issue [2/5]): not even its event_type.
  deps.log.info("partner event", {
    partner: partnerHash,
    outcome: stored ? "processed" : "duplicate",
    previousSecret: secretIndex > 0,
  });
  return stored
    ? { status: "processed", event_id: dedupKey }
    : { status: "duplicate", webhook_event_id: dedupKey };
}
