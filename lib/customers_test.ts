import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { databaseFingerprint, forEachDatabase } from "../tests/_support/db.ts";
import { ManualClock } from "./clock.ts";
import { findCustomer, linkTag, listCustomers, saveCustomer } from "./customers.ts";
import { AppError } from "./errors.ts";

const AT = Date.parse("2026-11-23T12:00:00Z");

/** Asserts `promise` rejects with `invalid_body` naming `field`. */
async function rejectsField(promise: Promise<unknown>, field: string) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, "invalid_body");
    assert.equal(e.details.field, field);
    return true;
  });
}

forEachDatabase("customers - saveCustomer", async (t, db) => {
  const clock = new ManualClock(AT);
  const deps = { db, clock };

  await t.step("creates with a generated id, trims, and stamps the injected time", async () => {
    const saved = await saveCustomer(deps, { name: "  Ada ", email: " ada@example.com " });
    assert.match(saved.id, /^c-[A-Za-z0-9_-]+$/);
    assert.equal(saved.name, "Ada");
    assert.equal(saved.email, "ada@example.com");
    assert.equal(saved.lagoSubscriptionId, null);
    assert.equal(saved.createdAt.getTime(), AT);
  });

  await t.step("an omitted lagoSubscriptionId keeps the stored one; null clears it", async () => {
    await saveCustomer(deps, { id: "keep", name: "K", lagoSubscriptionId: "sub-1" });
    clock.advance(1000);
    const kept = await saveCustomer(deps, { id: "keep", name: "K2" });
    assert.equal(kept.lagoSubscriptionId, "sub-1");
    assert.equal(kept.updatedAt.getTime(), AT + 1000);
    const cleared = await saveCustomer(deps, { id: "keep", name: "K2", lagoSubscriptionId: null });
    assert.equal(cleared.lagoSubscriptionId, null);
  });

  await t.step("bad input is invalid_body naming the field, and writes nothing", async () => {
    const before = await databaseFingerprint(db);
    const cases: Array<[unknown, string]> = [
      [{ name: "" }, "name"],
      [{ name: "   " }, "name"],
      [{ name: "x".repeat(201) }, "name"],
      [{ name: "A", email: "not-an-email" }, "email"],
      [{ name: "A", email: `${"a".repeat(320)}@example.com` }, "email"],
      [{ name: "A", lagoSubscriptionId: "" }, "lagoSubscriptionId"],
      [{ name: "A", lagoSubscriptionId: 5 }, "lagoSubscriptionId"],
      [{ name: "A", id: "bad id" }, "id"],
      [{ id: "no-name" }, "name"],
    ];
    for (const [input, field] of cases) await rejectsField(saveCustomer(deps, input), field);
    assert.deepEqual(await databaseFingerprint(db), before);
  });

  await t.step("findCustomer answers null for an unknown id", async () => {
    assert.equal(await findCustomer(deps, "nobody"), null);
    assert.equal((await findCustomer(deps, "keep"))?.name, "K2");
  });
});

forEachDatabase("customers - linkTag", async (t, db) => {
  const clock = new ManualClock(AT);
  const deps = { db, clock };
  await saveCustomer(deps, { id: "owner", name: "Owner" });

  await t.step("links and unlinks a card; open sessions of the card follow", async () => {
    const iso = new Date(AT).toISOString();
    await db.rows(sql`
      insert into live_sessions (transaction_pk, charge_box_id, connector_id, id_tag, started_at, last_reading_at, updated_at, resolve_next_at)
      values (41, 'CB', 1, 'CARD', ${iso}, ${iso}, ${iso}, ${iso})`);
    const linked = await linkTag(deps, { idTag: "CARD", customerId: "owner" });
    assert.deepEqual([linked.idTag, linked.customerId], ["CARD", "owner"]);
    const [open] = await db.rows<{ customer_id: string | null }>(
      sql`select customer_id from live_sessions where transaction_pk = 41`,
    );
    assert.equal(open.customer_id, "owner");
    assert.deepEqual((await listCustomers(deps)).find((c) => c.id === "owner")?.tags, ["CARD"]);
    const unlinked = await linkTag(deps, { idTag: "CARD", customerId: null });
    assert.equal(unlinked.customerId, null);
  });

  await t.step(
    "an unknown customer is invalid_body on customerId, and writes nothing",
    async () => {
      const before = await databaseFingerprint(db);
      await rejectsField(linkTag(deps, { idTag: "NEW", customerId: "nobody" }), "customerId");
      await rejectsField(linkTag(deps, { idTag: "x".repeat(256), customerId: null }), "idTag");
      await rejectsField(linkTag(deps, { idTag: "  ", customerId: null }), "idTag");
      await rejectsField(linkTag(deps, { idTag: "T" }), "customerId");
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );
});
