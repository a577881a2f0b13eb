/**
 * Imports flow `routes → lib → db` (docs: house style). Every module's import
 * specifiers are read from its source and checked against the rules below, so
 * a route that imports another route, or lib/ reaching up into routes/, fails
 * here rather than in review.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SKIP = new Set(["node_modules", "static", "data", "test-artifacts", "migrations", ".git"]);
/** The composition root: it wires lib/ and routes/ together, so it sits above both. */
const COMPOSITION_ROOT = ["server.ts", "main.ts"];
/** lib/ modules that hold domain rules (customers, tags, chargers, flags, billing). */
const DOMAIN_MODULES =
  /^lib\/(customers|chargers|partners|flags|scan_pairs|meter_values|pre_authorize|billing\/.*)\.ts$/;

/** Relative specifiers of static and dynamic imports and re-exports in `source`. */
export function importSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\bimport\s*["']([^"']+)["']/g,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]))
    .filter((s) => s.startsWith("."));
}

/** Why `from` may not import `to` (both repo-relative, `/`-separated), or null when it may. */
export function layeringViolation(from: string, to: string): string | null {
  const area = (path: string) => path.split("/")[0];
  if (area(from) === "routes" && area(to) === "routes") {
    const allowed = (from === "routes/_app.ts" && to === "routes/_manifest.ts") ||
      from === "routes/_manifest.ts";
    return allowed
      ? null
      : "a route imports another route (shared code belongs in lib/ or components/)";
  }
  if ((area(from) === "lib" || area(from) === "db") && area(to) === "routes") {
    return "lib/ and db/ never import routes/";
  }
  if ((area(from) === "lib" || area(from) === "db") && COMPOSITION_ROOT.includes(to)) {
    return "lib/ and db/ never import the composition root";
  }
  if (area(from) === "routes" && area(to) === "db") {
    return "routes reach the database through lib/ (routes → lib → db)";
  }
  if ((area(from) === "lib" || area(from) === "db") && area(to) === "components") {
    return "lib/ and db/ never import components/ (pages render through routes and components)";
  }
  if (area(from) === "db" && area(to) === "lib") {
    return "db/ sits below lib/: it never imports it";
  }
  // Domain rules are plain functions over deps, callable from a page, the API or a CLI.
  if (DOMAIN_MODULES.test(from) && to.startsWith("lib/http/")) {
    return "domain modules never import the HTTP glue (lib/http/)";
  }
  if ((area(from) === "islands" || area(from) === "components") && area(to) === "db") {
    return "islands and components never import db/";
  }
  return null;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(entry.name)) yield path;
  }
}

Deno.test("layering - the rules refuse what they name and allow the manifest", () => {
  const cases: Array<[string, string, boolean]> = [
    ["routes/admin/customers/tags.ts", "routes/admin/customers.tsx", false],
    ["routes/_app.ts", "routes/_manifest.ts", true],
    ["routes/_manifest.ts", "routes/admin/chargers.tsx", true],
    ["routes/_app.ts", "routes/health.ts", false],
    ["lib/server.ts", "routes/_app.ts", false],
    ["lib/demo.ts", "server.ts", false],
    ["db/queries/chargers.ts", "main.ts", false],
    ["components/Page.tsx", "db/queries/customers.ts", false],
    ["islands/SessionBoard.tsx", "db/schema.ts", false],
    ["routes/admin/chargers.tsx", "lib/chargers.ts", true],
    ["server.ts", "routes/_app.ts", true],
    ["db/queries/customers.ts", "lib/clock.ts", false],
    ["lib/customers.ts", "lib/http/json_body.ts", false],
    ["lib/billing/dead_letters.ts", "lib/http/cookies.ts", false],
    ["lib/customers.ts", "lib/validation.ts", true],
    ["lib/http/html.ts", "components/ErrorPage.tsx", false],
    ["routes/me.tsx", "db/queries/sessions.ts", false],
    ["components/CustomersPage.tsx", "lib/http/html.ts", true],
  ];
  for (const [from, to, ok] of cases) {
    assert.equal(layeringViolation(from, to) === null, ok, `${from} → ${to}`);
  }
  assert.deepEqual(
    importSpecifiers(
      'import { a } from "./a.ts";\nimport type {\n  B,\n} from "../b.ts";\nexport { c } from "./c.ts";\n' +
        'import "./side.ts";\nconst d = await import("./d.ts");\nimport { z } from "zod";',
    ).sort(),
    ["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./side.ts"],
  );
});

Deno.test("layering - no module of this repository breaks the import rules", async () => {
  const violations: string[] = [];
  let files = 0;
  for await (const path of sourceFiles(ROOT)) {
    files++;
    const from = relative(ROOT, path).replaceAll("\\", "/");
    for (const specifier of importSpecifiers(await Deno.readTextFile(path))) {
      const to = normalize(join(dirname(from), specifier)).replaceAll("\\", "/");
      const why = layeringViolation(from, to);
      if (why) violations.push(`${from} → ${to}: ${why}`);
    }
  }
  assert.ok(files > 50, `only ${files} files found under ${ROOT}`);
  assert.deepEqual(violations, []);
});
