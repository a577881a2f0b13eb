/**
 * The registry of signed endpoints against what is written elsewhere: the
 * docs table, the README's configuration table and the route manifest, so
 * none of them can drift from lib/signed_endpoints.ts.
 */
import assert from "node:assert/strict";
import { SIGNED_ENDPOINT_LIST } from "../lib/signed_endpoints.ts";
import { routes } from "../routes/_manifest.ts";

const read = (path: string) => Deno.readTextFile(new URL(`../${path}`, import.meta.url));

/** The rows of the first Markdown table after `heading`, cells trimmed, header row first. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no "${heading}" heading`);
  const lines = markdown.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    if (/^\|[\s|:-]+\|$/.test(line)) continue; // the separator row
    rows.push(line.slice(1, -1).split("|").map((cell) => cell.trim()));
  }
  return rows;
}

const code = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(", ");

Deno.test("signed endpoints - docs/api.md's table lists every registry entry exactly", async () => {
  const [header, ...rows] = tableAfter(await read("docs/api.md"), "## Signed endpoints");
  assert.deepEqual(header, [
    "Name",
    "Path",
    "Signature header",
    "Scheme",
    "Secret variables",
    "Body limit",
    "Fail mode",
  ]);
  assert.deepEqual(
    rows,
    SIGNED_ENDPOINT_LIST.map(([, e]) => {
      // A per-partner entry's header and scheme are defaults; its secrets live on the partner row.
      const perPartner = "secretsFrom" in e && e.secretsFrom === "partner";
      return [
        `\`${e.name}\``,
        `\`POST ${e.path}\``,
        perPartner ? `per partner, default ${code(e.headers)}` : code(e.headers),
        perPartner ? `per partner, default \`${e.scheme}\`` : `\`${e.scheme}\``,
        perPartner ? "per partner (admin API)" : code(e.secretVariables),
        `${e.bodyLimitBytes / 1024} KiB`,
        e.failMode,
      ];
    }),
  );
});

Deno.test("signed endpoints - the README's configuration table names every secret variable", async () => {
  const rows = tableAfter(await read("README.md"), "## Configuration");
  const documented = new Set(rows.flatMap(([variables]) => variables.match(/[A-Z][A-Z0-9_]+/g)));
  for (const [, e] of SIGNED_ENDPOINT_LIST) {
    for (const variable of e.secretVariables) {
      assert.ok(documented.has(variable), `${variable} missing from the README`);
    }
  }
});

Deno.test("signed endpoints - every entry's path is a POST route", () => {
  for (const [, e] of SIGNED_ENDPOINT_LIST) {
    const route = routes.find(([path]) => path === e.path);
    assert.ok(route, `no route for ${e.path}`);
    assert.ok(route[1].POST, `${e.path} has no POST handler`);
  }
});
