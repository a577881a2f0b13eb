import assert from "node:assert/strict";
import { checkPartnerUrl } from "./partner_url.ts";

Deno.test("checkPartnerUrl - https only unless local is allowed; never user info", async () => {
  const rows: Array<[url: string, allowLocal: boolean, ok: string | false]> = [
    ["https://partner.example/hooks", false, "https://partner.example/hooks"],
    ["https://PARTNER.example", false, "https://partner.example/"],
    ["http://partner.example/hooks", false, false],
    ["http://127.0.0.1:8080/hooks", true, "http://127.0.0.1:8080/hooks"],
    ["https://user@partner.example/", false, false],
    ["https://user:pw@partner.example/", true, false],
    ["ftp://partner.example/", true, false],
    ["/hooks", true, false],
    ["partner.example/hooks", false, false],
    ["javascript:alert(1)", true, false],
  ];
  for (const [url, allowLocal, expected] of rows) {
    const check = await checkPartnerUrl(url, { allowLocal });
    assert.deepEqual(check.ok ? check.url : false, expected, url);
  }
});
