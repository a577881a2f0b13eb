import assert from "node:assert/strict";
import { checkDestination, checkDestinationForSave } from "./destination.ts";

/** Names the injected resolver knows; any other name does not resolve (ENOTFOUND). */
const DNS: Record<string, string[]> = {
  "partner.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "private.example": ["10.1.2.3"],
  "loopback.example": ["127.0.0.1"],
  "mixed.example": ["93.184.215.14", "192.168.1.20"],
  "mixed6.example": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "fd00::5"],
  "metadata-ip.example": ["169.254.169.254"],
  "mapped.example": ["::ffff:10.0.0.1"],
  "octal.example": ["0177.0.0.1"],
  "empty.example": [],
  "localhost": ["127.0.0.1", "::1"],
  "api.localhost": ["127.0.0.1"],
};

function resolver() {
  const calls: string[] = [];
  const resolve = (hostname: string) => {
    calls.push(hostname);
    const answer = DNS[hostname];
    if (!answer) {
      return Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }));
    }
    return Promise.resolve(answer);
  };
  return { calls, resolve };
}

type Row = [
  url: string,
  strict: "ok" | "blocked" | "unresolved",
  local: "ok" | "blocked" | "unresolved",
];

// [url, verdict with allowLocal false, verdict with allowLocal true]
const TABLE: Row[] = [
  // public destinations
  ["https://partner.example/hooks?x=1", "ok", "ok"],
  ["https://93.184.215.14/hooks", "ok", "ok"],
  ["https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h", "ok", "ok"],
  ["https://partner.example:8443/h", "ok", "ok"],
  // scheme and user info
  ["http://partner.example/h", "blocked", "ok"],
  ["ftp://partner.example/h", "blocked", "blocked"],
  ["file:///etc/passwd", "blocked", "blocked"],
  ["https://user:pass@partner.example/h", "blocked", "blocked"],
  ["https://user@partner.example/h", "blocked", "blocked"],
  ["not a url", "blocked", "blocked"],
  // always refused ranges
  ["https://0.0.0.0/h", "blocked", "blocked"],
  ["https://0/h", "blocked", "blocked"],
  ["https://169.254.169.254/latest/meta-data", "blocked", "blocked"],
  ["https://100.64.0.1/h", "blocked", "blocked"],
  ["https://224.0.0.1/h", "blocked", "blocked"],
  ["https://239.255.255.250/h", "blocked", "blocked"],
  ["https://240.0.0.1/h", "blocked", "blocked"],
  ["https://255.255.255.255/h", "blocked", "blocked"],
  ["https://192.0.2.1/h", "blocked", "blocked"],
  ["https://198.18.0.1/h", "blocked", "blocked"],
  ["https://[::]/h", "blocked", "blocked"],
  ["https://[fe80::1]/h", "blocked", "blocked"],
  ["https://[ff02::1]/h", "blocked", "blocked"],
  ["https://[2001:db8::1]/h", "blocked", "blocked"],
  ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/h", "blocked", "blocked"], // Teredo
  ["https://[100::1]/h", "blocked", "blocked"],
  ["https://[4000::1]/h", "blocked", "blocked"], // outside global unicast
  // cloud metadata names, any case, trailing dot
  ["https://metadata.google.internal/computeMetadata/v1/", "blocked", "blocked"],
  ["https://METADATA.Google.Internal./x", "blocked", "blocked"],
  ["https://metadata/x", "blocked", "blocked"],
  ["https://instance-data/x", "blocked", "blocked"],
  ["https://metadata.azure.internal/x", "blocked", "blocked"],
  // local unless allowLocal
  ["https://127.0.0.1/h", "blocked", "ok"],
  ["https://127.8.9.10/h", "blocked", "ok"],
  ["https://10.0.0.1/h", "blocked", "ok"],
  ["https://172.16.0.1/h", "blocked", "ok"],
  ["https://172.31.255.255/h", "blocked", "ok"],
  ["https://172.32.0.1/h", "ok", "ok"], // just outside 172.16/12
  ["https://192.168.0.1/h", "blocked", "ok"],
  ["https://[::1]/h", "blocked", "ok"],
  ["https://[fc00::1]/h", "blocked", "ok"],
  ["https://[fd12:3456::1]/h", "blocked", "ok"],
  ["https://localhost/h", "blocked", "ok"],
  ["https://LOCALHOST./h", "blocked", "ok"],
  ["https://api.localhost/h", "blocked", "ok"],
  // every spelling of an IPv4 literal
  ["https://2130706433/h", "blocked", "ok"],
  ["https://0x7f.1/h", "blocked", "ok"],
  ["https://0x7f000001/h", "blocked", "ok"],
  ["https://0177.0.0.1/h", "blocked", "ok"],
  ["https://127.1/h", "blocked", "ok"],
  ["https://127.000.000.001/h", "blocked", "ok"],
  ["https://127.0.0.1./h", "blocked", "ok"],
  ["https://0xa9fea9fe/h", "blocked", "blocked"], // 169.254.169.254
  ["https://2851995933/h", "blocked", "blocked"], // 169.254.169.254
  // IPv4 embedded in IPv6
  ["https://[::ffff:127.0.0.1]/h", "blocked", "ok"],
  ["https://[::ffff:7f00:1]/h", "blocked", "ok"],
  ["https://[::ffff:169.254.169.254]/h", "blocked", "blocked"],
  ["https://[::ffff:93.184.215.14]/h", "ok", "ok"],
  ["https://[::127.0.0.1]/h", "blocked", "ok"],
  ["https://[::10.0.0.1]/h", "blocked", "ok"],
  ["https://[64:ff9b::127.0.0.1]/h", "blocked", "ok"],
  ["https://[64:ff9b::a9fe:a9fe]/h", "blocked", "blocked"],
  ["https://[64:ff9b::93.184.215.14]/h", "ok", "ok"],
  ["https://[2002:7f00:1::]/h", "blocked", "ok"],
  ["https://[2002:a9fe:a9fe::1]/h", "blocked", "blocked"],
  ["https://[2002:5db8:d70e::1]/h", "ok", "ok"], // 6to4 of 93.184.215.14
  // names: every resolved address must pass
  ["https://private.example/h", "blocked", "ok"],
  ["https://loopback.example/h", "blocked", "ok"],
  ["https://mixed.example/h", "blocked", "ok"],
  ["https://mixed6.example/h", "blocked", "ok"],
  ["https://metadata-ip.example/h", "blocked", "blocked"],
  ["https://mapped.example/h", "blocked", "ok"],
  ["https://octal.example/h", "blocked", "ok"],
  // names that do not resolve
  ["https://nowhere.example/h", "unresolved", "unresolved"],
  ["https://empty.example/h", "unresolved", "unresolved"],
];

for (const allowLocal of [false, true]) {
  Deno.test(`destination - attempt table, allowLocal ${allowLocal}`, async () => {
    const failures: string[] = [];
    for (const [url, strict, local] of TABLE) {
      const expected = allowLocal ? local : strict;
      const verdict = await checkDestination(url, { allowLocal, ...resolver() });
      const got = verdict.ok ? "ok" : verdict.reason === "unresolved" ? "unresolved" : "blocked";
      if (got !== expected) failures.push(`${url}: expected ${expected}, got ${got}`);
    }
    assert.deepEqual(failures, []);
  });

  Deno.test(`destination - save table, allowLocal ${allowLocal}`, async () => {
    const failures: string[] = [];
    for (const [url, strict, local] of TABLE) {
      // At save time a name that does not resolve yet is accepted.
      const expected = (allowLocal ? local : strict).replace("unresolved", "ok");
      const verdict = await checkDestinationForSave(url, { allowLocal, ...resolver() });
      const got = verdict.ok ? "ok" : "blocked";
      if (got !== expected) failures.push(`${url}: expected ${expected}, got ${got}`);
    }
    assert.deepEqual(failures, []);
  });
}

Deno.test("destination - resolves once and answers the normalized addresses", async () => {
  const { calls, resolve } = resolver();
  const verdict = await checkDestination("https://partner.example/h", {
    allowLocal: false,
    resolve,
  });
  assert.deepEqual(calls, ["partner.example"]);
  assert.ok(verdict.ok);
  assert.equal(verdict.url.hostname, "partner.example");
  assert.deepEqual(verdict.addresses, DNS["partner.example"]);

  const octal = await checkDestination("https://octal.example/", { allowLocal: true, resolve });
  assert.ok(octal.ok);
  assert.deepEqual(octal.addresses, ["127.0.0.1"]);
});

Deno.test("destination - a literal address is judged without resolving", async () => {
  const { calls, resolve } = resolver();
  const verdict = await checkDestination("https://0x7f.1/h", { allowLocal: true, resolve });
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.addresses, ["127.0.0.1"]);
  const blocked = await checkDestinationForSave("https://10.0.0.1/h", {
    allowLocal: false,
    resolve,
  });
  assert.equal(blocked.ok, false);
  assert.deepEqual(calls, []);
});

Deno.test("destination - a refusal names the address and the range, never the query", async () => {
  const { resolve } = resolver();
  const verdict = await checkDestination("https://mixed.example/h?token=secret", {
    allowLocal: false,
    resolve,
  });
  assert.deepEqual(verdict, {
    ok: false,
    reason: "blocked_destination",
    detail: "192.168.1.20 is in 192.168.0.0/16",
  });
});

Deno.test("destination - a name that does not resolve yet is accepted at save time", async () => {
  const { resolve } = resolver();
  const verdict = await checkDestinationForSave("https://nowhere.example/h", {
    allowLocal: false,
    resolve,
  });
  assert.ok(verdict.ok);
  assert.deepEqual(verdict.addresses, []);
});

Deno.test("destination - a resolver answer that is not an address is refused", async () => {
  const verdict = await checkDestination("https://odd.example/h", {
    allowLocal: true,
    resolve: () => Promise.resolve(["not-an-ip"]),
  });
  assert.equal(verdict.ok, false);
  const scoped = await checkDestination("https://odd.example/h", {
    allowLocal: true,
    resolve: () => Promise.resolve(["fd00::1%eth0"]),
  });
  assert.equal(scoped.ok, false);
});
