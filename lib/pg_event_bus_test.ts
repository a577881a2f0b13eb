/**
 * The event bus across instances on a real PostgreSQL: two buses on one
 * database stand for two app instances.
 */
import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { openTestDatabase, postgresAvailable } from "../tests/_support/db.ts";
import { systemClock } from "./clock.ts";
import type { EventBus, TransactionMeter } from "./event_bus.ts";
import { logger } from "./logging.ts";
import { createPgEventBus, LISTEN_APPLICATION_NAME } from "./pg_event_bus.ts";

const meter = (version: number, customerName: string | null = null): TransactionMeter => ({
  transactionPk: 1,
  chargeBoxId: "CB",
  chargerName: null,
  connectorId: 1,
  customerId: null,
  customerName,
  kwh: version,
  kw: null,
  at: "2026-11-23T10:00:00.000Z",
  endedAt: null,
  startedAt: "2026-11-23T10:00:00.000Z",
  version,
});

/** Resolves once `check` holds; fails after a generous deadline (no timing is asserted). */
async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

async function twoInstances(db: Database & { url?: string }) {
  const open = async (instanceId: string) => {
    const bus = createPgEventBus({
      url: db.url!,
      db,
      clock: systemClock,
      instanceId,
      log: logger("bus"),
      reconnectMs: { base: 50, max: 500 },
    });
    return { bus, stop: await bus.start() };
  };
  const a = await open("instance-a");
  const b = await open("instance-b");
  return {
    a: a.bus,
    b: b.bus,
    [Symbol.asyncDispose]: async () => {
      await a.stop();
      await b.stop();
    },
  };
}

function record(bus: EventBus) {
  const meters: TransactionMeter[] = [];
  const cancelled: string[] = [];
  bus.subscribe("transaction.meter", (m) => void meters.push(m));
  bus.subscribe("scan.cancelled", (e) => void cancelled.push(e.pairId));
  return { meters, cancelled };
}

const listenBackends = (db: Database) =>
  db.rows<{ pid: number }>(sql`
    select pid from pg_stat_activity
    where application_name = ${LISTEN_APPLICATION_NAME} and datname = current_database()`);

function pgTest(name: string, fn: (db: Database & { url?: string }) => Promise<void>) {
  Deno.test({
    name: `[postgres] pg event bus - ${name}`,
    ignore: !postgresAvailable,
    async fn() {
      await using db = await openTestDatabase("postgres");
      await fn(db);
    },
  });
}

pgTest(
  "an event reaches the other instance once, and its publisher's own listeners once",
  async (db) => {
    await using buses = await twoInstances(db);
    const seenA = record(buses.a);
    const seenB = record(buses.b);
    buses.a.publish("transaction.meter", meter(1));
    assert.deepEqual(seenA.meters, [meter(1)], "delivered locally at once");
    await eventually("B hears A", () => seenB.meters.length === 1);
    assert.deepEqual(seenB.meters, [meter(1)]);
    // PostgreSQL delivers notifications in commit order: once A hears B's later
    // marker, A's own echo of its event would have arrived before it.
    buses.b.publish("scan.cancelled", { pairId: "marker" });
    await eventually("A hears B", () => seenA.cancelled.includes("marker"));
    assert.deepEqual(seenA.meters, [meter(1)], "A's echo of its own event is not applied");
    assert.deepEqual(seenB.cancelled, ["marker"]);
  },
);

pgTest("a payload too large for one NOTIFY goes by the id of its stored copy", async (db) => {
  await using buses = await twoInstances(db);
  const seenB = record(buses.b);
  const big = meter(7, "N".repeat(12_000));
  buses.a.publish("transaction.meter", big);
  buses.a.publish("transaction.meter", meter(8));
  await eventually("B hears both", () => seenB.meters.length === 2);
  assert.deepEqual(seenB.meters, [big, meter(8)], "in publish order");
  const [{ n }] = await db.rows<{ n: number }>(sql`select count(*)::int as n from bus_payloads`);
  assert.equal(n, 1, "only the large one was stored");
});

pgTest(
  "the listener shows in pg_stat_activity, comes back after pg_terminate_backend, and resyncs",
  async (db) => {
    await using buses = await twoInstances(db);
    const seenB = record(buses.b);
    let resyncsA = 0;
    let resyncsB = 0;
    buses.a.onResync(() => resyncsA++);
    buses.b.onResync(() => resyncsB++);
    const before = (await listenBackends(db)).map((r) => r.pid);
    assert.equal(before.length, 2, "one listening connection per instance");
    await db.rows(sql`
    select pg_terminate_backend(pid) from pg_stat_activity
    where application_name = ${LISTEN_APPLICATION_NAME} and datname = current_database()`);
    await eventually("both resync", () => resyncsA === 1 && resyncsB === 1);
    const after = (await listenBackends(db)).map((r) => r.pid);
    assert.equal(after.length, 2);
    assert.ok(after.every((pid) => !before.includes(pid)), "new connections");
    buses.a.publish("transaction.meter", meter(2));
    await eventually("B hears A again", () => seenB.meters.length === 1);
    assert.deepEqual(seenB.meters, [meter(2)]);
  },
);
