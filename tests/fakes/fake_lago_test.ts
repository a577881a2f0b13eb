/** The fake Lago over real HTTP: auth, all-or-nothing batches, failure modes. */
import assert from "node:assert/strict";
import { type FakeLago, type LagoEvent, startFakeLago } from "./fake_lago.ts";

const SUB = "sub-1";

function event(id: string, kwh = "1.5", patch = {}): LagoEvent {
  return {
    transaction_id: id,
    external_subscription_id: SUB,
    code: "kwh",
    timestamp: 1_700_000_000,
    properties: { kwh },
    ...patch,
  };
}

function post(
  fake: FakeLago,
  events: unknown[],
  init: { key?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${fake.url}/api/v1/events/batch`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${init.key ?? fake.apiKey}`,
    },
    body: JSON.stringify({ events }),
    signal: init.signal,
  });
}

/** Fails instead of hanging when `work` is not done within `ms`. */
async function within<T>(ms: number, work: PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function expectJson(res: Response, status: number): Promise<unknown> {
  assert.equal(res.status, status);
  assert.equal(
    res.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  return await res.json();
}

function withSubscription(): FakeLago {
  const fake = startFakeLago();
  fake.addSubscription(SUB);
  return fake;
}

Deno.test("fake lago - a batch without the right bearer key is 401 and stores nothing", async () => {
  await using fake = withSubscription();
  for (const key of ["", "wrong", `${fake.apiKey}x`]) {
    const body = await expectJson(
      await post(fake, [event(`t-${key}`)], { key }),
      401,
    );
    assert.deepEqual(body, { status: 401, error: "Unauthorized" });
  }
  assert.equal(fake.events.size, 0);
});

Deno.test("fake lago - a valid batch is stored in order and summed exactly", async () => {
  await using fake = withSubscription();
  fake.addSubscription("sub-2");
  const events = [
    event("a", "0.1"),
    event("b", "0.2", { timestamp: "1700000060" }),
    event("c", "123456789012.000001", { external_subscription_id: "sub-2" }),
    event("d", "0.000001", { external_subscription_id: "sub-2" }),
  ];
  const body = await expectJson(await post(fake, events), 200) as {
    events: Array<{ transaction_id: string; timestamp: string }>;
  };
  assert.deepEqual(body.events.map((e) => e.transaction_id), [
    "a",
    "b",
    "c",
    "d",
  ]);
  assert.equal(body.events[0].timestamp, "2023-11-14T22:13:20.000Z");
  assert.deepEqual([...fake.events.keys()], ["a", "b", "c", "d"]);
  assert.equal(fake.sum(SUB), "0.300000"); // 0.1 + 0.2 in floats is 0.30000000000000004
  assert.equal(fake.sum("sub-2"), "123456789012.000002"); // past a double's digits
  assert.equal(fake.sum(), "123456789012.300002");
  assert.deepEqual(fake.requests, [{ size: 4, status: 200 }]);
});

Deno.test("fake lago - a repeated transaction_id fails the whole batch with value_already_exist at its index", async () => {
  await using fake = withSubscription();
  await expectJson(await post(fake, [event("a")]), 200);
  for (const batch of [[event("b"), event("a")], [event("c"), event("c")]]) {
    const body = await expectJson(await post(fake, batch), 422);
    assert.deepEqual(body, {
      status: 422,
      error: "Unprocessable Entity",
      code: "validation_errors",
      error_details: { "1": { transaction_id: ["value_already_exist"] } },
    });
  }
  assert.deepEqual([...fake.events.keys()], ["a"]);
  assert.equal(fake.duplicatesRejected, 2);
  assert.equal(fake.sum(), "1.500000");
});

const INVALID: Array<
  [string, Record<string, unknown>, Record<string, string[]>]
> = [
  ["no transaction_id", { transaction_id: "" }, {
    transaction_id: ["value_is_mandatory"],
  }],
  ["unknown subscription", { external_subscription_id: "nope" }, {
    external_subscription_id: ["subscription_not_found"],
  }],
  ["another metric", { code: "minutes" }, {
    code: ["billable_metric_not_found"],
  }],
  ["no timestamp", { timestamp: undefined }, {
    timestamp: ["value_is_mandatory"],
  }],
  ["a date timestamp", { timestamp: "2024-01-01" }, {
    timestamp: ["invalid_format"],
  }],
  ["exponent kWh", { properties: { kwh: "1e-3" } }, {
    properties: ["value_is_not_valid_number"],
  }],
  ["numeric kWh", { properties: { kwh: 1.5 } }, {
    properties: ["value_is_not_valid_number"],
  }],
  ["no kWh", { properties: {} }, { properties: ["value_is_not_valid_number"] }],
];

for (const [name, patch, errors] of INVALID) {
  Deno.test(`fake lago - ${name} fails its batch at its index`, async () => {
    await using fake = withSubscription();
    const res = await post(fake, [event("ok"), event("bad", "2", patch)]);
    const body = await expectJson(res, 422) as { error_details: unknown };
    assert.deepEqual(body.error_details, { "1": errors });
    assert.equal(fake.events.size, 0);
  });
}

Deno.test("fake lago - empty and over-100 batches are 422 on events", async () => {
  await using fake = withSubscription();
  const many = Array.from({ length: 101 }, (_, i) => event(`t${i}`));
  for (
    const [batch, code] of [[[], "no_events"], [
      many,
      "too_many_events",
    ]] as const
  ) {
    const body = await expectJson(await post(fake, [...batch]), 422) as {
      error_details: unknown;
    };
    assert.deepEqual(body.error_details, { events: [code] });
  }
  assert.equal(fake.events.size, 0);
});

Deno.test("fake lago - failNext answers its status and Retry-After, stores nothing, then recovers", async () => {
  await using fake = withSubscription();
  fake.failNext(2, { status: 429, retryAfterSeconds: 7 });
  fake.failNext(1, { status: 502, body: "<html>Bad Gateway</html>" });
  for (const id of ["a", "b"]) {
    const res = await post(fake, [event(id)]);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.deepEqual(await expectJson(res, 429), {
      status: 429,
      error: "Too Many Requests",
    });
  }
  const proxy = await post(fake, [event("c")]);
  assert.equal(proxy.status, 502);
  assert.equal(proxy.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(await proxy.text(), "<html>Bad Gateway</html>");
  assert.equal(fake.events.size, 0);
  await expectJson(await post(fake, [event("a")]), 200);
  assert.deepEqual(fake.requests.map((r) => r.status), [429, 429, 502, 200]);
});

Deno.test("fake lago - a poisoned transaction_id fails every batch holding it until reset", async () => {
  await using fake = withSubscription();
  fake.poison("p", 500);
  for (let i = 0; i < 2; i++) {
    const body = await expectJson(
      await post(fake, [event("ok"), event("p")]),
      500,
    );
    assert.deepEqual(body, { status: 500, error: "Internal Server Error" });
  }
  assert.equal(fake.events.size, 0);
  await expectJson(await post(fake, [event("ok")]), 200);
  fake.reset();
  await expectJson(await post(fake, [event("p")]), 200);
  assert.deepEqual([...fake.events.keys()], ["ok", "p"]);
});

Deno.test("fake lago - a hung batch times the client out, lands late, and its retry is a duplicate", async () => {
  await using fake = withSubscription();
  fake.hang(200);
  await assert.rejects(
    post(fake, [event("a")], { signal: AbortSignal.timeout(50) }),
  );
  assert.equal(fake.events.size, 0);
  const deadline = Date.now() + 2_000;
  while (!fake.events.has("a") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(fake.events.has("a"), "the late batch was stored");
  fake.reset();
  const body = await expectJson(await post(fake, [event("a")]), 422) as {
    error_details: unknown;
  };
  assert.deepEqual(body.error_details, {
    "0": { transaction_id: ["value_already_exist"] },
  });
});

Deno.test("fake lago - a hung request ends when the server closes", async () => {
  const fake = withSubscription();
  fake.hang(10_000);
  const pending = post(fake, [event("a")]);
  while (fake.requests.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await within(2_000, fake[Symbol.asyncDispose]());
  const body = await expectJson(await within(2_000, pending), 503);
  assert.deepEqual(body, { status: 503, error: "Service Unavailable" });
  assert.equal(fake.events.size, 0);
});
