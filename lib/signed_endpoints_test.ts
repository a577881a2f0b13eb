import assert from "node:assert/strict";
import {
  ENV_SIGNED_ENDPOINT_LIST,
  SIGNED_ENDPOINT_LIST,
  SIGNED_ENDPOINTS,
} from "./signed_endpoints.ts";

Deno.test("signed endpoints - every entry, spelled out (a typo in the registry fails here)", () => {
  // Literal on purpose: SteVe, Hubject and operators' .env files use these exact strings.
  assert.deepEqual(SIGNED_ENDPOINTS, {
    preAuthorize: {
      name: "PreAuthorize",
      path: "/api/ocpp/pre-authorize",
      headers: ["X-Signature"],
      scheme: "hex",
      secretVariables: ["STEVE_PREAUTH_HMAC_KEY", "STEVE_PREAUTH_HMAC_KEY_NEXT"],
      rotation: "next",
      logCategory: "PreAuthorize",
      bodyLimitBytes: 65536,
      failMode: "open",
    },
    meterValues: {
      name: "MeterValues",
      path: "/api/ocpp/meter-values",
      headers: ["X-Signature"],
      scheme: "hex",
      secretVariables: ["STEVE_METERVALUE_HMAC_KEY", "STEVE_METERVALUE_HMAC_KEY_NEXT"],
      rotation: "next",
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
    partnerEvents: {
      name: "PartnerEvents",
      path: "/api/partners/:partnerId/events",
      secretsFrom: "partner",
      headers: ["X-ExpresSync-Signature"],
      scheme: "sha256",
      secretVariables: [],
      logCategory: "PartnerEvents",
      bodyLimitBytes: 262144,
      failMode: "closed",
    },
  });
  assert.deepEqual(SIGNED_ENDPOINT_LIST.map(([id]) => id), [
    "preAuthorize",
    "meterValues",
    "pnc",
    "partnerEvents",
  ]);
});

Deno.test("signed endpoints - config and the start read exactly the entries keyed by variables", () => {
  assert.deepEqual(ENV_SIGNED_ENDPOINT_LIST.map(([id]) => id), [
    "preAuthorize",
    "meterValues",
    "pnc",
  ]);
  for (const [, e] of SIGNED_ENDPOINT_LIST) {
    // A per-partner entry has no variables; every other entry names its current secret.
    assert.equal(e.secretVariables.length === 0, "secretsFrom" in e && e.secretsFrom === "partner");
  }
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
    assert.match(e.path, /^\/api\/[a-z0-9/:A-Z-]+$/, e.name);
    for (const v of e.secretVariables) assert.match(v, /^[A-Z][A-Z0-9_]*$/, e.name);
    assert.ok(Number.isInteger(e.bodyLimitBytes) && e.bodyLimitBytes > 0, e.name);
  }
});
