import assert from "node:assert/strict";
import { AppError, ERROR_STATUS, type ErrorCode, formMessage, invalidBody } from "./errors.ts";

const API_DOC = new URL("../docs/api.md", import.meta.url);

Deno.test("ERROR_STATUS - equals the error-code table of docs/api.md, row for row", async () => {
  const doc = await Deno.readTextFile(API_DOC);
  const section = doc.split("### Error codes")[1]?.split("\n## ")[0] ?? "";
  const rows = [...section.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\|$/gm)];
  assert.ok(rows.length > 0, "docs/api.md has no error-code table");
  assert.deepEqual(
    Object.fromEntries(rows.map(([, code, status]) => [code, Number(status)])),
    ERROR_STATUS,
  );
});

Deno.test("ERROR_STATUS - every status docs/api.md gives next to a code agrees with the table", async () => {
  const doc = await Deno.readTextFile(API_DOC);
  const pairs = [...doc.matchAll(/(\d{3}) \{"error":"([a-z_]+)"/g)];
  assert.ok(pairs.length >= 10, "expected the documented answers");
  for (const [text, status, code] of pairs) {
    assert.ok(code in ERROR_STATUS, `${code} is not in ERROR_STATUS`);
    assert.equal(ERROR_STATUS[code as ErrorCode], Number(status), text);
  }
});

Deno.test("AppError - the status follows the code; details and headers are kept", () => {
  const error = new AppError("rate_limited", { retryAfterSeconds: 3 }, { "retry-after": "3" });
  assert.equal(error.status, 429);
  assert.deepEqual(error.details, { retryAfterSeconds: 3 });
  assert.deepEqual(error.headers, { "retry-after": "3" });
  assert.equal(invalidBody("name").status, 400);
});

Deno.test("formMessage - names the field by its label, else a sentence per code", () => {
  assert.equal(
    formMessage(invalidBody("chargeBoxId", "must be at most 255 characters"), {
      chargeBoxId: "Charge box ID",
    }),
    "Charge box ID: must be at most 255 characters.",
  );
  assert.equal(formMessage(invalidBody()), "Check the form: is invalid.");
  assert.match(formMessage(new AppError("unknown_charger")), /No such charger/);
});
