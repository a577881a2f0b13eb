/**
 * `routes/_manifest.ts` lists every route file under routes/ (files whose name
 * starts with `_` aside), each at the path its file path spells
 * (`index` is the folder, `[name]` is `:name`).
 */
import assert from "node:assert/strict";
import { routes } from "../routes/_manifest.ts";

const ROOT = new URL("../routes/", import.meta.url);

async function* routeFiles(dir: URL, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("_")) continue;
    if (entry.isDirectory) {
      yield* routeFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`);
    } else if (/\.tsx?$/.test(entry.name)) {
      yield `${prefix}${entry.name}`;
    }
  }
}

/** `admin/index.tsx` → `/admin`, `c/[chargeBoxId].tsx` → `/c/:chargeBoxId`. */
function pathOf(file: string): string {
  const segments = file.replace(/\.tsx?$/, "").split("/")
    .filter((segment, i, all) => !(segment === "index" && i === all.length - 1))
    .map((segment) => segment.replace(/^\[(\w+)\]$/, ":$1"));
  return `/${segments.join("/")}`;
}

Deno.test("route manifest - lists every route file, at the path its file path spells", async () => {
  const files = [];
  for await (const file of routeFiles(ROOT)) files.push(file);
  assert.ok(files.length > 0, "route files found");
  const listed = new Map(routes.map(([path, handlers]) => [handlers, path]));
  const seen = new Set<string>();
  for (const file of files.sort()) {
    const module = await import(new URL(file, ROOT).href);
    assert.ok(module.handler, `${file} exports a handler`);
    const path = listed.get(module.handler);
    assert.ok(path !== undefined, `${file} is listed in routes/_manifest.ts`);
    assert.equal(path, pathOf(file), `${file} is served at the path it spells`);
    seen.add(path);
  }
  assert.equal(routes.length, seen.size, "every listed route is a file, listed once");
});
