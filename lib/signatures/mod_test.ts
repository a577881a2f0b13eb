import assert from "node:assert/strict";
import { schemeOf, signHex, verifyHex } from "./mod.ts";

Deno.test("signatures - hex is implemented; the wave-2 schemes are refused until they are", () => {
  assert.deepEqual(schemeOf("hex"), { verify: verifyHex, sign: signHex });
  assert.throws(() => schemeOf("sha256"), /not implemented/);
  assert.throws(() => schemeOf("timestamped"), /not implemented/);
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
      assert.match(specifier, /^\.\/[a-z_]+\.ts$/, `${entry.name} imports ${specifier}`);
    }
    assert.doesNotMatch(source, /\bDeno\.\w|\bprocess\.\w|\bBuffer\b|\brequire\(/, entry.name);
    checked++;
  }
  assert.ok(checked >= 4, `only ${checked} modules checked`);
});
