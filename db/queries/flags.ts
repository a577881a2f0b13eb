/** Feature flags that survive a restart. */
import type { Executor } from "../client.ts";
import { featureFlags } from "../schema.ts";

export async function getStoredFlags(
  db: Executor,
): Promise<Map<string, boolean>> {
  const rows = await db.orm.select().from(featureFlags);
  return new Map(rows.map((r) => [r.name, r.enabled]));
}

export async function setStoredFlag(
  db: Executor,
  args: { name: string; enabled: boolean; now: Date },
): Promise<void> {
  await db.orm.insert(featureFlags).values({
    name: args.name,
    enabled: args.enabled,
    updatedAt: args.now,
  }).onConflictDoUpdate({
    target: featureFlags.name,
    set: { enabled: args.enabled, updatedAt: args.now },
  });
}
