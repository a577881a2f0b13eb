/** Chargers and their QR tokens. */
import { asc, eq, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { type ChargerRow, chargers } from "../schema.ts";

export type Charger = ChargerRow;

export async function getCharger(
  db: Executor,
  chargeBoxId: string,
): Promise<Charger | null> {
  const [row] = await db.orm.select().from(chargers).where(
    eq(chargers.chargeBoxId, chargeBoxId),
  );
  return row ?? null;
}

export function listChargers(db: Executor): Promise<Charger[]> {
  return db.orm.select().from(chargers).orderBy(asc(chargers.chargeBoxId));
}

/** Creates the charger or renames it; a new charger gets `qrToken`. */
export async function upsertCharger(
  db: Executor,
  args: { chargeBoxId: string; name: string | null; qrToken: string; now: Date },
): Promise<{ charger: Charger; created: boolean }> {
  const [row] = await db.orm.insert(chargers)
    .values({
      chargeBoxId: args.chargeBoxId,
      name: args.name,
      qrToken: args.qrToken,
      createdAt: args.now,
      updatedAt: args.now,
    })
    .onConflictDoUpdate({
      target: chargers.chargeBoxId,
      set: { name: args.name, updatedAt: args.now },
    })
    .returning({ ...chargersColumns, created: sql<boolean>`xmax = 0` });
  const { created, ...charger } = row;
  return { charger, created };
}

const chargersColumns = {
  chargeBoxId: chargers.chargeBoxId,
  name: chargers.name,
  qrToken: chargers.qrToken,
  createdAt: chargers.createdAt,
  updatedAt: chargers.updatedAt,
};

/** Records a charger first seen in a verified hook; keeps an existing one as it is. */
export async function insertChargerIfMissing(
  db: Executor,
  args: { chargeBoxId: string; qrToken: string; now: Date },
): Promise<void> {
  await db.orm.insert(chargers).values({
    chargeBoxId: args.chargeBoxId,
    qrToken: args.qrToken,
    createdAt: args.now,
    updatedAt: args.now,
  }).onConflictDoNothing();
}

export async function setChargerQrToken(
  db: Executor,
  args: { chargeBoxId: string; qrToken: string; now: Date },
): Promise<Charger | null> {
  const [row] = await db.orm.update(chargers)
    .set({ qrToken: args.qrToken, updatedAt: args.now })
    .where(eq(chargers.chargeBoxId, args.chargeBoxId))
    .returning();
  return row ?? null;
}
