import assert from "node:assert/strict";
import { createEventBus, type TransactionMeter } from "./event_bus.ts";

const meter: TransactionMeter = {
  transactionPk: 1,
  chargeBoxId: "CB",
  chargerName: null,
  connectorId: 1,
  customerId: null,
  customerName: null,
  kwh: 0,
  kw: null,
  at: "2026-11-23T10:00:00.000Z",
  endedAt: null,
  startedAt: "2026-11-23T10:00:00.000Z",
  version: 1,
};

Deno.test("event bus - a throwing or rejecting listener neither breaks publish nor the others", async () => {
  const errors: unknown[] = [];
  const bus = createEventBus({
    onListenerError: (_topic, e) => errors.push(e),
  });
  const seen: number[] = [];
  bus.subscribe("transaction.meter", () => {
    throw new Error("sync boom");
  });
  bus.subscribe(
    "transaction.meter",
    () => Promise.reject(new Error("async boom")),
  );
  bus.subscribe("transaction.meter", (e) => void seen.push(e.transactionPk));
  bus.publish("transaction.meter", meter);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(seen, [1]);
  assert.equal(errors.length, 2);
});

Deno.test("event bus - topics are separate and unsubscribe stops delivery", () => {
  const bus = createEventBus();
  const seen: string[] = [];
  const off = bus.subscribe(
    "scan.intercepted",
    (e) => void seen.push(e.pairId),
  );
  bus.subscribe("scan.cancelled", () => void seen.push("cancelled"));
  bus.publish("scan.intercepted", { pairId: "p1", chargeBoxId: "CB" });
  assert.equal(bus.listenerCount("scan.intercepted"), 1);
  off();
  assert.equal(bus.listenerCount("scan.intercepted"), 0);
  bus.publish("scan.intercepted", { pairId: "p2", chargeBoxId: "CB" });
  assert.deepEqual(seen, ["p1"]);
});

Deno.test("event bus - a listener may unsubscribe itself while being delivered to", () => {
  const bus = createEventBus();
  let calls = 0;
  const off = bus.subscribe("transaction.meter", () => {
    calls++;
    off();
  });
  bus.subscribe("transaction.meter", () => void calls++);
  bus.publish("transaction.meter", meter);
  bus.publish("transaction.meter", meter);
  assert.equal(calls, 3);
});
