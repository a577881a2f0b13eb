import assert from "node:assert/strict";
import {
  schemeOf,
  signHex,
  signSha256,
  signTimestamped,
  verifyHex,
  verifySha256,
  verifyTimestamped,
} from "./mod.ts";

Deno.test("signatures - every scheme name resolves to its verifier and signer", () => {
  assert.deepEqual(schemeOf("hex"), { verify: verifyHex, sign: signHex });
  assert.deepEqual(schemeOf("sha256"), { verify: verifySha256, sign: signSha256 });
  assert.deepEqual(schemeOf("timestamped"), { verify: verifyTimestamped, sign: signTimestamped });
});

Deno.test("signatures - the folder uses only Web-standard globals and its own modules", async () => {
  // Issue [4/5] bundles these files into a Cloudflare Worker: no Deno, Node, Hono or npm.
  const dir = new URL(".", import.meta.url);
  let checked = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(entry.name, dir));
    const imports = [...source.matchAll(/\bfrom\s+"([^"]+)"|import\(\s*"([^"]+)"/g)]
      .map((m) => m[1] ?? m[2]);
    for (const specifier of imports) {
      assert.match(specifier, /^\.\/[a-z0-9_]+\.ts$/, `${entry.name} imports ${specifier}`);
    }
    assert.doesNotMatch(source, /\bDeno\.\w|\bprocess\.\w|\bBuffer\b|\brequire\(/, entry.name);
    checked++;
  }
  assert.ok(checked >= 4, `only ${checked} modules checked`);
});
