import assert from "node:assert/strict";
import { islandsBuildId } from "./html.ts";

Deno.test("islandsBuildId - hashes the bundle that `deno task build` wrote (the test task builds first)", () => {
  // "missing" here means the path to static/build/islands.js is wrong: pages would
  // load the bundle without cache busting after every deploy.
  assert.match(islandsBuildId(), /^[0-9a-f]{12}$/);
});
