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

Deno.test("checkPartnerUrl - the SSRF guard at save: literal addresses judged, names resolved", async () => {
  const resolve = (name: string) =>
    Promise.resolve(
      ({
        "private.example": ["10.0.0.7"],
        "mixed.example": ["203.0.113.9", "192.168.1.4"],
        "public.example": ["93.184.215.14"],
      } as Record<string, string[]>)[name] ?? [],
    );
  const rows: Array<[url: string, allowLocal: boolean, ok: boolean]> = [
    ["https://127.0.0.1/hooks", false, false],
    ["http://127.0.0.1/hooks", true, true],
    ["https://169.254.169.254/latest/meta-data", true, false],
    ["https://metadata.google.internal/", true, false],
    ["https://[::ffff:127.0.0.1]/", false, false],
    ["https://2130706433/", false, false],
    ["https://private.example/", false, false],
    ["https://private.example/", true, true],
    ["https://mixed.example/", false, false],
    ["https://public.example/", false, true],
    ["https://not-yet-in-dns.example/", false, true],
  ];
  for (const [url, allowLocal, ok] of rows) {
    const check = await checkPartnerUrl(url, { allowLocal, resolve });
    assert.equal(check.ok, ok, `${url} allowLocal=${allowLocal}`);
  }
});
