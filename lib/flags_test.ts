import assert from "node:assert/strict";
import { forEachDatabase } from "../tests/_support/db.ts";
import { ManualClock } from "./clock.ts";
import { AppError } from "./errors.ts";
import { FeatureFlags, preAuthorizeFlag, switchPreAuthorize } from "./flags.ts";

forEachDatabase("flags - switchPreAuthorize", async (t, db) => {
  const clock = new ManualClock(Date.parse("2026-11-23T12:00:00Z"));
  const flags = new FeatureFlags({ "pre-authorize": true });
  const deps = { db, clock, flags };

  await t.step("a non-boolean is invalid_body on enabled and changes nothing", async () => {
    for (const enabled of ["false", "yes", 0, null, undefined]) {
      await assert.rejects(switchPreAuthorize(deps, { enabled }), (e) => {
        assert.ok(e instanceof AppError);
        assert.deepEqual([e.code, e.details.field], ["invalid_body", "enabled"]);
        return true;
      });
    }
    assert.deepEqual(preAuthorizeFlag(flags), { name: "pre-authorize", enabled: true });
  });

  await t.step("switching off is stored: another instance reads it after a refresh", async () => {
    assert.deepEqual(await switchPreAuthorize(deps, { enabled: false }), {
      name: "pre-authorize",
      enabled: false,
    });
    const other = new FeatureFlags({ "pre-authorize": true });
    await other.refresh(db);
    assert.equal(other.isEnabled("pre-authorize"), false);
  });
});
