/** The fake SteVe over real HTTP: Basic auth, the query filters, failure modes. */
import assert from "node:assert/strict";
import { type FakeSteve, startFakeSteve, type SteveTransaction } from "./fake_steve.ts";

function basic(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

function list(
  fake: FakeSteve,
  query = "",
  authorization?: string,
): Promise<Response> {
  return fetch(`${fake.url}/v1/transactions${query ? `?${query}` : ""}`, {
    headers: {
      authorization: authorization ?? basic(fake.user, fake.password),
    },
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

async function ids(fake: FakeSteve, query: string): Promise<number[]> {
  const body = await expectJson(
    await list(fake, query),
    200,
  ) as SteveTransaction[];
  return body.map((t) => t.id);
}

Deno.test("fake steve - wrong or missing Basic credentials are 401", async () => {
  await using fake = startFakeSteve({ user: "ops", password: "s3cret" });
  assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+\/api$/);
  for (
    const authorization of [
      "",
      basic("ops", "nope"),
      basic("other", "s3cret"),
      "Basic !!!",
      "Bearer s3cret",
    ]
  ) {
    const body = await expectJson(
      await list(fake, "", authorization),
      401,
    ) as Record<string, unknown>;
    assert.equal(body.status, 401);
    assert.equal(body.error, "Unauthorized");
    assert.equal(body.path, `${fake.url}/v1/transactions`);
  }
  await expectJson(await list(fake), 200);
  fake.setCredentials("ops", "rotated");
  await expectJson(await list(fake, "", basic("ops", "s3cret")), 401);
  await expectJson(await list(fake), 200);
});

Deno.test("fake steve - type picks active or stopped sessions, newest first, in SteVe's fields", async () => {
  await using fake = startFakeSteve();
  fake.addTransaction({
    chargeBoxId: "CB-7",
    ocppIdTag: "CARD",
    startTimestamp: "2025-03-01T10:00:00Z",
    startValue: "1000",
    stopTimestamp: "2025-03-01T11:00:00Z",
    stopValue: "8500",
    stopReason: "Local",
    stopEventActor: "station",
  });
  fake.addTransaction({
    chargeBoxId: "CB-7",
    connectorId: 2,
    startTimestamp: "2025-03-01T10:30:00Z",
  });
  const all = await expectJson(await list(fake), 200) as SteveTransaction[];
  assert.deepEqual(all, [
    {
      id: 2,
      chargeBoxId: "CB-7",
      chargeBoxPk: 1,
      connectorId: 2,
      ocppIdTag: "TAG-1",
      ocppTagPk: 2,
      startTimestamp: "2025-03-01T10:30:00.000Z",
      startValue: "0",
      stopTimestamp: null,
      stopValue: null,
      stopReason: null,
      stopEventActor: null,
    },
    {
      id: 1,
      chargeBoxId: "CB-7",
      chargeBoxPk: 1,
      connectorId: 1,
      ocppIdTag: "CARD",
      ocppTagPk: 1,
      startTimestamp: "2025-03-01T10:00:00.000Z",
      startValue: "1000",
      stopTimestamp: "2025-03-01T11:00:00.000Z",
      stopValue: "8500",
      stopReason: "Local",
      stopEventActor: "station",
    },
  ]);
  assert.deepEqual(await ids(fake, "type=ALL"), [2, 1]);
  assert.deepEqual(await ids(fake, "type=ACTIVE"), [2]);
  assert.deepEqual(await ids(fake, "type=STOPPED"), [1]);
  await expectJson(await list(fake, "type=RUNNING"), 400);
});

/** Starts at 09:00 (stopped 10:30), 10:00, 11:00 and 12:00 on one day. */
function dayOfSessions(fake: FakeSteve): void {
  fake.addTransaction({
    startTimestamp: "2025-03-01T09:00:00Z",
    stopTimestamp: "2025-03-01T10:30:00Z",
    stopValue: "5000",
  });
  for (const hour of ["10", "11", "12"]) {
    fake.addTransaction({ startTimestamp: `2025-03-01T${hour}:00:00Z` });
  }
}

const WINDOW = "periodType=FROM_TO&from=2025-03-01T10:00:00.000Z&to=2025-03-01T11:00:00.000Z";

Deno.test("fake steve - FROM_TO keeps sessions that started in [from, to], both ends inclusive", async () => {
  await using fake = startFakeSteve();
  dayOfSessions(fake);
  assert.deepEqual(await ids(fake, WINDOW), [3, 2]);
  assert.deepEqual(await ids(fake, `${WINDOW}&type=STOPPED`), []); // stopped in the window, started before
  assert.deepEqual(await ids(fake, `${WINDOW}&type=ACTIVE`), [3, 2]);
  for (
    const query of [
      "periodType=FROM_TO&from=2025-03-01T10:00:00Z",
      "periodType=FROM_TO&to=2025-03-01T11:00:00Z",
    ]
  ) {
    const body = await expectJson(await list(fake, query), 400) as Record<
      string,
      unknown
    >;
    assert.equal(body.message, "The values 'From' and 'To' must be both set");
  }
  const backwards = "periodType=FROM_TO&from=2025-03-01T11:00:00Z&to=2025-03-01T10:00:00Z";
  const body = await expectJson(await list(fake, backwards), 400) as Record<
    string,
    unknown
  >;
  assert.equal(body.message, "'To' must be after 'From'");
});

Deno.test("fake steve - legacyFromTo filters like SteVe 3.8: stop for STOPPED, nothing for ALL", async () => {
  await using fake = startFakeSteve({ legacyFromTo: true });
  dayOfSessions(fake);
  assert.deepEqual(await ids(fake, WINDOW), [4, 3, 2, 1]);
  assert.deepEqual(await ids(fake, `${WINDOW}&type=STOPPED`), [1]);
  assert.deepEqual(await ids(fake, `${WINDOW}&type=ACTIVE`), [3, 2]);
});

Deno.test("fake steve - transactionPk, chargeBoxId and ocppIdTag match exactly", async () => {
  await using fake = startFakeSteve();
  fake.addTransaction({ chargeBoxId: "CB-1", ocppIdTag: "A" });
  fake.addTransaction({ chargeBoxId: "CB-10", ocppIdTag: "AB" });
  fake.addTransaction({ chargeBoxId: "CB-1", ocppIdTag: "AB" });
  const cases: Array<[string, number[]]> = [
    ["transactionPk=2", [2]],
    ["transactionPk=9", []],
    ["chargeBoxId=CB-1", [3, 1]],
    ["ocppIdTag=AB", [3, 2]],
    ["chargeBoxId=CB-1&ocppIdTag=AB", [3]],
  ];
  for (const [query, expected] of cases) {
    assert.deepEqual(await ids(fake, query), expected, query);
  }
});

Deno.test("fake steve - updateTransaction stops a session", async () => {
  await using fake = startFakeSteve();
  const { id } = fake.addTransaction({ startValue: "100" });
  fake.updateTransaction(id, {
    stopTimestamp: "2025-03-01T12:00:00+01:00",
    stopValue: "2600",
  });
  assert.deepEqual(await ids(fake, "type=ACTIVE"), []);
  const [stopped] = await expectJson(
    await list(fake, "type=STOPPED"),
    200,
  ) as SteveTransaction[];
  assert.equal(stopped.stopTimestamp, "2025-03-01T11:00:00.000Z");
  assert.equal(stopped.stopValue, "2600");
  assert.throws(() => fake.updateTransaction(99, { stopValue: "1" }));
});

Deno.test("fake steve - failNext answers its status, then recovers, and every query is logged", async () => {
  await using fake = startFakeSteve();
  fake.failNext(2, 503);
  for (let i = 0; i < 2; i++) {
    const body = await expectJson(
      await list(fake, "type=ACTIVE"),
      503,
    ) as Record<string, unknown>;
    assert.equal(body.error, "Service Unavailable");
  }
  await expectJson(await list(fake, "type=ACTIVE&chargeBoxId=CB-1"), 200);
  assert.deepEqual(fake.requests, [
    "type=ACTIVE",
    "type=ACTIVE",
    "type=ACTIVE&chargeBoxId=CB-1",
  ]);
});

Deno.test("fake steve - a hung request ends when the server closes", async () => {
  const fake = startFakeSteve();
  fake.hang(10_000);
  const pending = list(fake);
  while (fake.requests.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await within(2_000, fake[Symbol.asyncDispose]());
  await expectJson(await within(2_000, pending), 503);
});
