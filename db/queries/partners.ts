/** Partners (their signing secrets) and the signed events they sent us. */
import { asc, desc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { type PartnerEventRow, partnerEvents, type PartnerRow, partners } from "../schema.ts";

export type Partner = PartnerRow;
export type PartnerEvent = PartnerEventRow;

/** Stores a new, active partner with its first secret. */
export async function insertPartner(
  db: Executor,
  args: {
    id: string;
    name: string;
    signatureScheme: "sha256" | "timestamped";
    signatureHeader: string;
    secret: string;
    url: string | null;
    events: string[];
    now: Date;
  },
): Promise<Partner> {
  const { now, ...fields } = args;
  const [row] = await db.orm.insert(partners)
    .values({ ...fields, active: true, createdAt: now, updatedAt: now })
    .returning();
  return row;
}

export async function getPartner(db: Executor, id: string): Promise<Partner | null> {
  const [row] = await db.orm.select().from(partners).where(eq(partners.id, id));
  return row ?? null;
}

/** Every partner, by name then id (stable for pages and the API). */
export function listPartners(db: Executor): Promise<Partner[]> {
  return db.orm.select().from(partners).orderBy(asc(partners.name), asc(partners.id));
}

/**
 * Changes the given settings; undefined ones stay as stored. Reactivating
 * clears `deactivated_reason`. Null when there is no such partner.
 */
export async function updatePartner(
  db: Executor,
  args: {
    id: string;
    name?: string;
    signatureHeader?: string;
    active?: boolean;
    url?: string | null;
    events?: string[];
    now: Date;
  },
): Promise<Partner | null> {
  const { id, now, ...changes } = args;
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  const [row] = await db.orm.update(partners)
    .set({ ...set, ...(args.active ? { deactivatedReason: null } : {}), updatedAt: now })
    .where(eq(partners.id, id))
    .returning();
  return row ?? null;
}

/**
 * Replaces the partner's secret in one statement, so two admins rotating at
 * once never leave a secret nobody was shown half-written. With `graceUntil`
 * the secret being replaced (the one current at that instant, right-hand
 * `secret` reads the old row) becomes the previous one until then; a second
 * rotation during a grace window therefore drops the older previous secret.
 * Without it the old secret stops at once. Null when there is no such partner.
 */
export async function replacePartnerSecret(
  db: Executor,
  args: { id: string; secret: string; graceUntil: Date | null; now: Date },
): Promise<Partner | null> {
  const [row] = await db.orm.update(partners)
    .set({
      secret: args.secret,
      previousSecret: args.graceUntil ? sql`${partners.secret}` : null,
      previousSecretValidUntil: args.graceUntil,
      secretRotatedAt: args.now,
      updatedAt: args.now,
    })
    .where(eq(partners.id, args.id))
    .returning();
  return row ?? null;
}

/**
 * Stores an event unless this partner already sent one with the same dedup
 * key. One statement: of racing copies exactly one inserts (the unique index
 * on partner and key), the others get no row back and answer `duplicate`.
 * Returns the stored row, or null for a duplicate.
 */
export async function insertPartnerEventOnce(
  db: Executor,
  args: {
    partnerId: string;
    dedupKey: string;
    eventType: string;
    webhookEventId: string | null;
    bodyJson: string;
    now: Date;
  },
): Promise<PartnerEvent | null> {
  const { now, ...fields } = args;
  const [row] = await db.orm.insert(partnerEvents)
    .values({ ...fields, receivedAt: now })
    .onConflictDoNothing({ target: [partnerEvents.partnerId, partnerEvents.dedupKey] })
    .returning();
  return row ?? null;
}

/** A partner's events, newest first (ties by id, so a burst keeps its order). */
export function listPartnerEvents(
  db: Executor,
  args: { partnerId: string; limit: number },
): Promise<PartnerEvent[]> {
  return db.orm.select().from(partnerEvents)
    .where(eq(partnerEvents.partnerId, args.partnerId))
    .orderBy(desc(partnerEvents.receivedAt), desc(partnerEvents.id))
    .limit(args.limit);
}
