/**
 * Partners: an operator's counterparts (a fleet manager, a site's access
 * system), each with its own signing secret for the events it sends us
 * (lib/partner_events.ts). The admin API and the admin pages call these
 * functions; only reading the input and rendering the outcome differ.
 *
 * A secret leaves this module exactly twice: in the answer to the create and
 * to a rotation. {@link PartnerView} has no secret field, so no other answer,
 * page or log line can carry one.
 */
import { z } from "zod";
import type { Database } from "../db/client.ts";
import {
  getPartner,
  insertPartner,
  listPartnerEvents,
  listPartners,
  type Partner,
  type PartnerEvent,
  replacePartnerSecret,
  updatePartner,
} from "../db/queries/partners.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import { PARTNER_EVENT_TYPES } from "./partner_deliveries/events.ts";
import type { PartnerUrlCheck } from "./partner_url.ts";
import { SIGNED_ENDPOINTS } from "./signed_endpoints.ts";
import { parseWith } from "./validation.ts";

export type { Partner, PartnerEvent };

/** What the partner rules need: the database, the clock, and where partners reach us. */
export interface PartnerDeps {
  db: Database;
  clock: Clock;
  /** `PUBLIC_BASE_URL`, no trailing slash: the inbound URL handed to a partner starts with it. */
  publicBaseUrl: string;
  /** Judges a webhook URL before it is saved: `checkPartnerUrl` (lib/partner_url.ts) with its deps. */
  checkUrl: (url: string) => Promise<PartnerUrlCheck>;
}

const ENTRY = SIGNED_ENDPOINTS.partnerEvents;

/** The schemes a partner may sign with (the table's check constraint says the same). */
export const PARTNER_SCHEMES = ["sha256", "timestamped"] as const;
export type PartnerScheme = (typeof PARTNER_SCHEMES)[number];

/** Shortest and longest grace window of a rotation: a minute, a week. */
export const GRACE_SECONDS = { min: 60, max: 604_800 } as const;

/** The events a partner's page and `GET …/events` show: the newest this many. */
export const PARTNER_EVENTS_SHOWN = 100;

/**
 * Headers a partner may not sign in: hop-by-hop headers a proxy strips or
 * rewrites (RFC 9110 §7.6.1), framing and content headers the body's bytes
 * depend on, and headers proxies, browsers or our own login set. A signature
 * there would be lost or overwritten on the way, or would collide with auth.
 */
const RESERVED_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "content-type",
  "content-encoding",
  "content-range",
  "expect",
  "range",
  "authorization",
  "cookie",
  "set-cookie",
  "forwarded",
  "via",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "origin",
  "referer",
  "user-agent",
  "accept",
  "accept-encoding",
  "date",
]);

/** RFC 9110 §5.6.2 `token`: one or more tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A header name a partner may sign in: an HTTP token, not reserved, at most 64 characters. */
export const signatureHeaderName = z.string().trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(TOKEN, "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
  .refine(
    (h) => {
      const lower = h.toLowerCase();
      return !RESERVED_HEADERS.has(lower) && !lower.startsWith("proxy-") &&
        !lower.startsWith("sec-");
    },
    "is a standard or hop-by-hop header; pick your own, e.g. X-ExpresSync-Signature",
  );

const partnerName = z.string().trim().min(1, "must not be empty")
  .max(200, "must be at most 200 characters");

const KNOWN_EVENTS: ReadonlySet<string> = new Set(PARTNER_EVENT_TYPES);

/** Outbound events a partner subscribes to: a non-empty set of known names (duplicates dropped). */
export const partnerEventNames = z.array(z.string("must be event names"), "must be a list")
  .min(1, "must name at least one event")
  .max(PARTNER_EVENT_TYPES.length * 4, "has too many entries")
  .superRefine((names, ctx) => {
    const unknown = names.find((n) => !KNOWN_EVENTS.has(n));
    if (unknown !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `has an unknown event; known: ${PARTNER_EVENT_TYPES.join(", ")}`,
      });
    }
  })
  .transform((names) => PARTNER_EVENT_TYPES.filter((n) => names.includes(n)));

/** A webhook URL as typed; {@link PartnerDeps.checkUrl} judges it before it is saved. */
const partnerUrl = z.string("must be a URL").trim().min(1, "must not be empty")
  .max(2048, "must be at most 2048 characters");

/** `POST /api/admin/partners`. */
export const NewPartnerInput = z.object({
  name: partnerName,
  signatureScheme: z.enum(PARTNER_SCHEMES, "must be sha256 or timestamped").optional(),
  signatureHeader: signatureHeaderName.optional(),
  url: partnerUrl.nullable().optional(),
  events: partnerEventNames.optional(),
});

/** `PUT /api/admin/partners/:id`: omitted fields stay as they are; `url: null` removes it. */
export const PartnerChangesInput = z.object({
  name: partnerName.optional(),
  signatureHeader: signatureHeaderName.optional(),
  active: z.boolean("must be true or false").optional(),
  url: partnerUrl.nullable().optional(),
  events: partnerEventNames.optional(),
});

/** The URL to save: null or undefined as given, else as {@link PartnerDeps.checkUrl} accepts it. */
async function checkedUrl(
  deps: PartnerDeps,
  url: string | null | undefined,
): Promise<string | null | undefined> {
  if (url === null || url === undefined) return url;
  const check = await deps.checkUrl(url);
  if (!check.ok) throw new AppError("blocked_destination", { field: "url" });
  return check.url;
}

/** `POST /api/admin/partners/:id/secret`. */
export const RotationInput = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("now") }),
  z.object({
    mode: z.literal("grace"),
    graceSeconds: z.number("must be a number of seconds").int("must be whole seconds")
      .min(GRACE_SECONDS.min, `must be at least ${GRACE_SECONDS.min}`)
      .max(GRACE_SECONDS.max, `must be at most ${GRACE_SECONDS.max}`),
  }),
], "must be now or grace");

/** A partner as the admin API answers it: never its secrets. */
export interface PartnerView {
  id: string;
  name: string;
  signatureScheme: PartnerScheme;
  signatureHeader: string;
  active: boolean;
  /** Why it was deactivated automatically (a 410 from its URL); null otherwise. */
  deactivatedReason: string | null;
  /** Where its subscribed events are POSTed; null: none are sent. */
  url: string | null;
  /** The outbound events it subscribed to. */
  events: string[];
  /** Where the partner posts its events: hand this over with the secret. */
  inboundUrl: string;
  createdAt: string;
  secretRotatedAt: string | null;
  previousSecretValidUntil: string | null;
}

/** A stored event as the audit trail shows it; `body` parsed from the stored text. */
export interface PartnerEventView {
  id: number;
  eventType: string;
  webhookEventId: string | null;
  receivedAt: string;
  body: unknown;
}

/** The URL a partner posts its events to. */
export function inboundUrlOf(publicBaseUrl: string, partnerId: string): string {
  return publicBaseUrl + ENTRY.path.replace(":partnerId", partnerId);
}

export function toPartnerView(deps: Pick<PartnerDeps, "publicBaseUrl">, p: Partner): PartnerView {
  return {
    id: p.id,
    name: p.name,
    signatureScheme: p.signatureScheme as PartnerScheme,
    signatureHeader: p.signatureHeader,
    active: p.active,
    deactivatedReason: p.deactivatedReason,
    url: p.url,
    events: p.events,
    inboundUrl: inboundUrlOf(deps.publicBaseUrl, p.id),
    createdAt: p.createdAt.toISOString(),
    secretRotatedAt: p.secretRotatedAt?.toISOString() ?? null,
    previousSecretValidUntil: p.previousSecretValidUntil?.toISOString() ?? null,
  };
}

export function toPartnerEventView(e: PartnerEvent): PartnerEventView {
  return {
    id: e.id,
    eventType: e.eventType,
    webhookEventId: e.webhookEventId,
    receivedAt: e.receivedAt.toISOString(),
    // Stored only after it parsed as a JSON object (lib/partner_events.ts).
    body: JSON.parse(e.bodyJson),
  };
}

/** 32 random bytes as 64 lower-case hex: a partner's signing secret. */
export function newPartnerSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can name a partner at all (ids are UUIDs; anything else is unknown, not a 400). */
export function isPartnerId(id: unknown): id is string {
  return typeof id === "string" && UUID.test(id);
}

/** Creates an active partner with a fresh secret; the only time, with a rotation, it is shown. */
export async function createPartner(
  deps: PartnerDeps,
  input: unknown,
): Promise<{ partner: Partner; secret: string }> {
  const { name, signatureScheme, signatureHeader, url, events } = parseWith(
    NewPartnerInput,
    input,
  );
  const savedUrl = await checkedUrl(deps, url);
  const secret = newPartnerSecret();
  const partner = await insertPartner(deps.db, {
    id: crypto.randomUUID(),
    name,
    signatureScheme: signatureScheme ?? ENTRY.scheme,
    signatureHeader: signatureHeader ?? ENTRY.headers[0],
    secret,
    url: savedUrl ?? null,
    events: events ?? [],
    now: deps.clock.now(),
  });
  return { partner, secret };
}

/** Every partner, by name. */
export function listAllPartners(deps: { db: Database }): Promise<Partner[]> {
  return listPartners(deps.db);
}

/** The partner with this id, or null (also for anything that is not a UUID). */
export async function findPartner(deps: { db: Database }, id: unknown): Promise<Partner | null> {
  return isPartnerId(id) ? await getPartner(deps.db, id.toLowerCase()) : null;
}

/** {@link findPartner}, or `404 not_found`. */
export async function requirePartner(deps: { db: Database }, id: unknown): Promise<Partner> {
  const partner = await findPartner(deps, id);
  if (!partner) throw new AppError("not_found");
  return partner;
}

/**
 * Changes a partner's name, signature header, active flag, webhook URL or
 * subscribed events; omitted fields stay. Reactivating releases the
 * deliveries that waited. `not_found` for an unknown id, `invalid_body`
 * naming the field, `blocked_destination` for a URL that may not be saved.
 */
export async function changePartner(
  deps: PartnerDeps,
  id: unknown,
  input: unknown,
): Promise<Partner> {
  if (!isPartnerId(id)) throw new AppError("not_found");
  const changes = parseWith(PartnerChangesInput, input);
  const url = await checkedUrl(deps, changes.url);
  const partner = await updatePartner(deps.db, {
    id: id.toLowerCase(),
    ...changes,
    url,
    now: deps.clock.now(),
  });
  if (!partner) throw new AppError("not_found");
  return partner;
}

/**
 * Gives a partner a new secret (seed 003 "Regenerate Secret"). `now`: the old
 * one stops at once. `grace`: inbound calls signed with the old one still pass
 * until `graceSeconds` from now (the injected clock). Rotating again during a
 * grace window makes the then-current secret the previous one, and the older
 * previous secret stops. Returns the new secret: the only time it is shown.
 */
export async function rotatePartnerSecret(
  deps: PartnerDeps,
  id: unknown,
  input: unknown,
): Promise<{ partner: Partner; secret: string }> {
  if (!isPartnerId(id)) throw new AppError("not_found");
  const rotation = parseWith(RotationInput, input);
  const now = deps.clock.now();
  const secret = newPartnerSecret();
  const partner = await replacePartnerSecret(deps.db, {
    id: id.toLowerCase(),
    secret,
    graceUntil: rotation.mode === "grace"
      ? new Date(now.getTime() + rotation.graceSeconds * 1000)
      : null,
    now,
  });
  if (!partner) throw new AppError("not_found");
  return { partner, secret };
}

/** A partner's audit trail, newest first; `not_found` for an unknown partner. */
export async function partnerEvents(
  deps: { db: Database },
  id: unknown,
): Promise<PartnerEvent[]> {
  const partner = await requirePartner(deps, id);
  return await listPartnerEvents(deps.db, { partnerId: partner.id, limit: PARTNER_EVENTS_SHOWN });
}

/**
 * The webhook fields of a partner form as the API takes them: an empty URL
 * is none (null), no event ticked leaves the subscription out (it must not
 * be empty; clearing the URL stops the events).
 */
export function webhookFormFields(
  form: Record<string, unknown>,
): { url: unknown; events: unknown } {
  const url = typeof form.url === "string" && form.url.trim() === "" ? null : form.url;
  const ticked = form.events === undefined ? [] : [form.events].flat();
  return { url, events: ticked.length ? ticked : undefined };
}
