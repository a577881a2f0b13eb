import assert from "node:assert/strict";
import { SIGNED_ENDPOINT_LIST, SIGNED_ENDPOINTS } from "./signed_endpoints.ts";

Deno.test("signed endpoints - every entry, spelled out (a typo in the registry fails here)", () => {
  // Literal on purpose: SteVe, Hubject and operators' .env files use these exact strings.
  assert.deepEqual(SIGNED_ENDPOINTS, {
    preAuthorize: {
      name: "PreAuthorize",
      path: "/api/ocpp/pre-authorize",
      headers: ["X-Signature"],
      scheme: "hex",
      secretVariables: ["STEVE_PREAUTH_HMAC_KEY"],
      logCategory: "PreAuthorize",
      bodyLimitBytes: 65536,
      failMode: "open",
    },
    meterValues: {
      name: "MeterValues",
      path: "/api/ocpp/meter-values",
      headers: ["X-Signature"],
      scheme: "hex",
      secretVariables: ["STEVE_METERVALUE_HMAC_KEY"],
      logCategory: "MeterValues",
      bodyLimitBytes: 65536,
      failMode: "open",
    },
    pnc: {
      name: "PncWebhooks",
      path: "/api/pnc/webhooks",
      headers: ["X-Hubject-Signature", "X-Operator-Signature"],
      scheme: "sha256",
      schemeOptions: { bareHex: true },
      secretVariables: ["HUBJECT_WEBHOOK_SECRET", "HUBJECT_WEBHOOK_SECRET_PREVIOUS"],
      minSecretLength: 16,
      logCategory: "PncWebhooks",
      bodyLimitBytes: 262144,
      failMode: "closed",
    },
  });
  assert.deepEqual(SIGNED_ENDPOINT_LIST.map(([id]) => id), ["preAuthorize", "meterValues", "pnc"]);
});

Deno.test("signed endpoints - names, paths, categories and secrets are never shared", () => {
  const entries = SIGNED_ENDPOINT_LIST.map(([, e]) => e);
  const unique = (values: string[], what: string) =>
    assert.equal(new Set(values).size, values.length, `${what} repeated: ${values}`);
  unique(entries.map((e) => e.name), "name");
  unique(entries.map((e) => e.path), "path");
  unique(entries.map((e) => e.logCategory), "log category");
  // One secret per hook: rotating one never ripples into another (design doc).
  unique(entries.flatMap((e) => [...e.secretVariables]), "secret variable");
  for (const e of entries) {
    unique(e.headers.map((h) => h.toLowerCase()), `${e.name} header`);
    assert.match(e.path, /^\/api\/[a-z0-9/-]+$/, e.name);
    for (const v of e.secretVariables) assert.match(v, /^[A-Z][A-Z0-9_]*$/, e.name);
    assert.ok(Number.isInteger(e.bodyLimitBytes) && e.bodyLimitBytes > 0, e.name);
  }
});
