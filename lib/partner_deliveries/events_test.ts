import assert from "node:assert/strict";
import { canonicalEventBody, eventTimestamp } from "./events.ts";

Deno.test("canonicalEventBody - keys sorted at every level, no whitespace, raw UTF-8", () => {
  const body = canonicalEventBody({
    id: "6f1c1a52-0000-4000-8000-000000000000",
    type: "scan.login",
    at: new Date("2026-11-29T12:00:00.123Z"),
    data: { customerName: 'Zoë "東京"\n', chargeBoxId: "CB-1", at: "x", customerId: null },
  });
  assert.equal(
    body,
    '{"data":{"at":"x","chargeBoxId":"CB-1","customerId":null,"customerName":"Zoë \\"東京\\"\\n"},' +
      '"id":"6f1c1a52-0000-4000-8000-000000000000","timestamp":"2026-11-29T12:00:00.123+00:00",' +
      '"type":"scan.login"}',
  );
  assert.equal(eventTimestamp(new Date(0)), "1970-01-01T00:00:00.000+00:00");
});
