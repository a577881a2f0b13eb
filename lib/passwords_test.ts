import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "./passwords.ts";

Deno.test("passwords - scrypt hash verifies its password only, and is salted", async () => {
  const hash = await hashPassword("correct horse battery");
  assert.match(hash, /^scrypt\$65536\$8\$2\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.equal(await verifyPassword("correct horse battery", hash), true);
  assert.equal(await verifyPassword("correct horse batterY", hash), false);
  assert.notEqual(await hashPassword("correct horse battery"), hash);
  assert.equal(await verifyPassword("x", "plain-text"), false);
});
