import assert from "node:assert/strict";
import { databaseFingerprint, forEachDatabase } from "../tests/_support/db.ts";
import {
  ChargerRegistry,
  findCharger,
  getChargerByQrToken,
  listChargersWithPairs,
  rotateQrToken,
  saveCharger,
} from "./chargers.ts";
import { ManualClock } from "./clock.ts";
import { AppError, type ErrorCode } from "./errors.ts";

const AT = Date.parse("2026-11-23T12:00:00Z");

/** Asserts `promise` rejects with `code` (and, for invalid_body, names `field`). */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, field?: string) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof AppError, String(e));
    assert.equal(e.code, code);
    if (field) assert.equal(e.details.field, field);
    return true;
  });
}

forEachDatabase("chargers - saveCharger and rotateQrToken", async (t, db) => {
  const clock = new ManualClock(AT);
  const deps = { db, clock, chargers: new ChargerRegistry(clock) };

  await t.step(
    "creates with a QR token, renames keeping it, stamps the injected time",
    async () => {
      const first = await saveCharger(deps, { chargeBoxId: "CB-1", name: " Bay 1 " });
      assert.equal(first.created, true);
      assert.equal(first.charger.name, "Bay 1");
      assert.equal(first.charger.createdAt.getTime(), AT);
      clock.advance(5000);
      const renamed = await saveCharger(deps, { chargeBoxId: "CB-1", name: null });
      assert.equal(renamed.created, false);
      assert.equal(renamed.charger.name, null);
      assert.equal(renamed.charger.qrToken, first.charger.qrToken);
      assert.equal(renamed.charger.updatedAt.getTime(), AT + 5000);
      assert.deepEqual(
        (await listChargersWithPairs(deps)).map((r) => [r.charger.chargeBoxId, r.pair]),
        [["CB-1", undefined]],
      );
    },
  );

  await t.step("rotating gives a new token; the old one stops opening the charger", async () => {
    const before = (await findCharger(deps, "CB-1"))!;
    const rotated = await rotateQrToken(deps, "CB-1");
    assert.notEqual(rotated.qrToken, before.qrToken);
    assert.equal(
      await getChargerByQrToken(db, { chargeBoxId: "CB-1", token: before.qrToken }),
      null,
    );
    assert.ok(await getChargerByQrToken(db, { chargeBoxId: "CB-1", token: rotated.qrToken }));
  });

  await t.step(
    "bad ids and names are refused; an unknown charger is not_found; nothing written",
    async () => {
      const before = await databaseFingerprint(db);
      const long = "x".repeat(256);
      await rejectsWith(
        saveCharger(deps, { chargeBoxId: long, name: "A" }),
        "invalid_body",
        "chargeBoxId",
      );
      await rejectsWith(
        saveCharger(deps, { chargeBoxId: " ", name: "A" }),
        "invalid_body",
        "chargeBoxId",
      );
      await rejectsWith(saveCharger(deps, { chargeBoxId: "CB-2" }), "invalid_body", "name");
      await rejectsWith(
        saveCharger(deps, { chargeBoxId: "CB-2", name: "" }),
        "invalid_body",
        "name",
      );
      await rejectsWith(
        saveCharger(deps, { chargeBoxId: "CB-2", name: 5 }),
        "invalid_body",
        "name",
      );
      await rejectsWith(rotateQrToken(deps, long), "invalid_body", "chargeBoxId");
      await rejectsWith(rotateQrToken(deps, undefined), "invalid_body", "chargeBoxId");
      await rejectsWith(rotateQrToken(deps, "NO-SUCH-CHARGER"), "not_found");
      await rejectsWith(findCharger(deps, long), "invalid_body", "chargeBoxId");
      assert.equal(await findCharger(deps, "NO-SUCH-CHARGER"), null);
      assert.deepEqual(await databaseFingerprint(db), before);
    },
  );
});
