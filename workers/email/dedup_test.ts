/**
 * The dedup rules over a Map standing in for Durable Object storage: expiry
 * and the sweep need minutes and hours that a workerd test cannot wait for.
 * Atomicity is the runtime's and is pinned in workerd (tests/email_worker_test.ts).
 */
import assert from "node:assert/strict";
import type { DedupStorage } from "./env.ts";
import {
  type DedupEntry,
  NONCE_TTL_MS,
  runDedupCommand,
  SENT_TTL_MS,
  SWEEP_DELAY_MS,
  sweepExpired,
} from "./dedup.ts";

/** Durable Object storage's semantics for the calls dedup makes, in memory. */
class MemoryStorage implements DedupStorage {
  entries = new Map<string, unknown>();
  alarm: number | null = null;
  get<T>(key: string) {
    return Promise.resolve(this.entries.get(key) as T | undefined);
  }
  put<T>(key: string, value: T) {
    this.entries.set(key, structuredClone(value));
    return Promise.resolve();
  }
  delete(keys: string[]) {
    assert.ok(keys.length <= 128, "Durable Object storage deletes at most 128 keys per call");
    return Promise.resolve(keys.filter((k) => this.entries.delete(k)).length);
  }
  list<T>() {
    return Promise.resolve(new Map(this.entries) as Map<string, T>);
  }
  getAlarm() {
    return Promise.resolve(this.alarm);
  }
  setAlarm(at: number) {
    this.alarm = at;
    return Promise.resolve();
  }
}

const T0 = Date.UTC(2026, 10, 29, 12);
const nonce = (hash: string) => ({ op: "nonce", hash }) as const;
const claim = (id: string, token: string) =>
  ({ op: "claim", id, claim: token, leaseMs: 60_000 }) as const;

Deno.test("dedup - a nonce is fresh once, replayed for 10 minutes, then forgotten", async () => {
  const storage = new MemoryStorage();
  assert.deepEqual(await runDedupCommand(storage, nonce("h1"), T0), { ok: true });
  assert.deepEqual(await runDedupCommand(storage, nonce("h1"), T0 + NONCE_TTL_MS - 1), {
    ok: false,
  });
  assert.deepEqual(await runDedupCommand(storage, nonce("h1"), T0 + NONCE_TTL_MS), { ok: true });
});

Deno.test("dedup - an id being sent or sent is held, and says which; sent lasts 24 hours", async () => {
  const storage = new MemoryStorage();
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "a"), T0), { ok: true });
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "b"), T0 + 1000), {
    ok: false,
    held: "sending",
  });
  await runDedupCommand(storage, { op: "sent", id: "m1" }, T0 + 2000);
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "c"), T0 + SENT_TTL_MS), {
    ok: false,
    held: "sent",
  });
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "c"), T0 + 2000 + SENT_TTL_MS), {
    ok: true,
  });
});

Deno.test("dedup - a released claim frees the id; a lapsed lease does too", async () => {
  const storage = new MemoryStorage();
  await runDedupCommand(storage, claim("m1", "a"), T0);
  await runDedupCommand(storage, { op: "release", id: "m1", claim: "a" }, T0 + 10);
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "b"), T0 + 20), { ok: true });
  // Nobody settles b (the isolate died): after its lease the id is sendable again.
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "c"), T0 + 20 + 59_999), {
    ok: false,
    held: "sending",
  });
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "c"), T0 + 20 + 60_000), {
    ok: true,
  });
});

Deno.test("dedup - a late release cannot free another request's claim, nor a sent id", async () => {
  const storage = new MemoryStorage();
  await runDedupCommand(storage, claim("m1", "a"), T0);
  // a's lease lapses, b claims, then a's release arrives.
  await runDedupCommand(storage, claim("m1", "b"), T0 + 60_000);
  await runDedupCommand(storage, { op: "release", id: "m1", claim: "a" }, T0 + 60_001);
  assert.deepEqual(await runDedupCommand(storage, claim("m1", "c"), T0 + 60_002), {
    ok: false,
    held: "sending",
  });
  await runDedupCommand(storage, { op: "sent", id: "m1" }, T0 + 60_003);
  await runDedupCommand(storage, { op: "release", id: "m1", claim: "b" }, T0 + 60_004);
  assert.equal((storage.entries.get("m:m1") as DedupEntry).kind, "sent");
});

Deno.test("dedup - the alarm sweeps what expired, in batches of 128, and rearms for the rest", async () => {
  const storage = new MemoryStorage();
  for (let i = 0; i < 300; i++) await runDedupCommand(storage, nonce(`h${i}`), T0);
  await runDedupCommand(storage, { op: "sent", id: "m1" }, T0);
  // Armed once, a minute after the first expiry, not once per entry.
  assert.equal(storage.alarm, T0 + NONCE_TTL_MS + SWEEP_DELAY_MS);

  assert.equal(await sweepExpired(storage, T0 + NONCE_TTL_MS + SWEEP_DELAY_MS), 300);
  assert.deepEqual([...storage.entries.keys()], ["m:m1"]);
  assert.equal(storage.alarm, T0 + SENT_TTL_MS + SWEEP_DELAY_MS);
  assert.equal(await sweepExpired(storage, T0 + SENT_TTL_MS + SWEEP_DELAY_MS), 1);
  assert.equal(storage.entries.size, 0);
});

Deno.test("dedup - an earlier expiry pulls the alarm forward", async () => {
  const storage = new MemoryStorage();
  await runDedupCommand(storage, { op: "sent", id: "m1" }, T0);
  assert.equal(storage.alarm, T0 + SENT_TTL_MS + SWEEP_DELAY_MS);
  await runDedupCommand(storage, nonce("h"), T0 + 1);
  assert.equal(storage.alarm, T0 + 1 + NONCE_TTL_MS + SWEEP_DELAY_MS);
});
