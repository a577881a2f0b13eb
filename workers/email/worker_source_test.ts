/**
 * The worker runs on Cloudflare as wrangler bundles it: its modules may use
 * Web-standard globals only, reach each other by plain relative `.ts`
 * imports (which esbuild resolves), and wrangler.toml must name what the code
 * and the local runner use.
 */
import assert from "node:assert/strict";
import { bundleEmailWorker } from "./local.ts";

const ENTRY = new URL("./worker.ts", import.meta.url);

/** Every module worker.ts reaches, by following its relative imports. */
async function workerModules(): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const visit = async (url: URL) => {
    if (seen.has(url.href)) return;
    const source = await Deno.readTextFile(url);
    seen.set(url.href, source);
    const all = [
      ...source.matchAll(/\bfrom\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g),
    ].map((m) => m[1] ?? m[2]);
    for (const specifier of all) {
      assert.match(specifier, /^\.{1,2}\/[\w./-]+\.ts$/, `${url.pathname} imports ${specifier}`);
      await visit(new URL(specifier, url));
    }
  };
  await visit(ENTRY);
  return seen;
}

Deno.test("email worker source - only relative .ts imports and Web-standard globals", async () => {
  const modules = await workerModules();
  assert.ok(modules.size >= 6, `only ${modules.size} modules reached`);
  for (const [url, source] of modules) {
    assert.doesNotMatch(
      source,
      /\bDeno\.\w|\bprocess\.\w|\bBuffer\b|\brequire\(|from\s+["'](node|npm|jsr):/,
      url,
    );
  }
});

Deno.test("email worker source - the bundle exports only the handler and the Durable Object class", async () => {
  const bundle = await bundleEmailWorker();
  const exported = bundle.match(/export\s*\{([^}]*)\}\s*;?\s*$/)?.[1];
  assert.ok(exported, "the bundle ends in one export list");
  assert.deepEqual(
    exported.split(",").map((e) => e.trim().split(/\s+as\s+/).at(-1)).sort(),
    ["EmailDedup", "default"],
  );
  assert.doesNotMatch(bundle, /\bDeno\./);
});

Deno.test("email worker source - wrangler.toml names the entry, the binding, its class and migration", async () => {
  const toml = await Deno.readTextFile(new URL("./wrangler.toml", import.meta.url));
  assert.match(toml, /^main = "worker\.ts"$/m);
  assert.match(
    toml,
    /\[\[durable_objects\.bindings\]\]\nname = "EMAIL_NONCE_DEDUP"\nclass_name = "EmailDedup"/,
  );
  assert.match(toml, /\[\[migrations\]\]\ntag = "v1"\nnew_sqlite_classes = \["EmailDedup"\]/);
  // Secrets are set with `wrangler secret put`, never written here.
  assert.doesNotMatch(toml, /^(POLARIS_SECRET_[AB]|EMAIL_API_KEY)\s*=/m);
  const local = await Deno.readTextFile(new URL("./local.ts", import.meta.url));
  assert.match(local, /durableObjects: \{ EMAIL_NONCE_DEDUP: "EmailDedup" \}/);
});
