/** Event payloads too large for one NOTIFY (lib/pg_event_bus.ts). */
import { eq, lt } from "drizzle-orm";
import type { Executor } from "../client.ts";
import { busPayloads } from "../schema.ts";

/** Stores one event's JSON; answers the id its notification carries. */
export async function insertBusPayload(
  db: Executor,
  args: { topic: string; payload: string; now: Date },
): Promise<number> {
  const [row] = await db.orm.insert(busPayloads).values({
    topic: args.topic,
    payload: args.payload,
    createdAt: args.now,
  }).returning({ id: busPayloads.id });
  return row.id;
}

export async function getBusPayload(
  db: Executor,
  id: number,
): Promise<{ topic: string; payload: string } | null> {
  const [row] = await db.orm.select({ topic: busPayloads.topic, payload: busPayloads.payload })
    .from(busPayloads).where(eq(busPayloads.id, id));
  return row ?? null;
}

/** Deletes payloads stored before `before`; returns how many. */
export async function pruneBusPayloads(db: Executor, before: Date): Promise<number> {
  const rows = await db.orm.delete(busPayloads)
    .where(lt(busPayloads.createdAt, before))
    .returning({ id: busPayloads.id });
  return rows.length;
}
