/**
 * `deno task demo`: a few chargers, customers and cards, and simulated
 * sessions sent through the real signed hooks by the SteVe stand-in, so the
 * dashboard moves within a minute of starting.
 */
import type { Database } from "../db/client.ts";
import { linkTag, saveCustomer } from "./customers.ts";
import { saveCharger } from "./chargers.ts";
import { type Clock, systemClock } from "./clock.ts";
import { logger } from "./logging.ts";
import {
  createSteveSender,
  runSession,
  sleepUnlessAborted,
  type SteveKeys,
} from "./steve_stand_in.ts";

const CHARGERS = [
  ["DEMO-1", "Bay 1 · Car park level 2"],
  ["DEMO-2", "Bay 2 · Car park level 2"],
  ["DEMO-3", "Fast charger · Entrance"],
] as const;
const CUSTOMERS = [
  {
    id: "demo-ann",
    name: "Ann Lee",
    email: "ann@example.com",
    tag: "04A1B2C3D4E5F6",
  },
  {
    id: "demo-ben",
    name: "Ben Ortiz",
    email: "ben@example.com",
    tag: "04B7C8D9E0F1A2",
  },
  {
    id: "demo-chloe",
    name: "Chloé Martin",
    email: "chloe@example.com",
    tag: "04C3D4E5F6A7B8",
  },
];

export async function seedDemo(deps: { db: Database; clock: Clock }): Promise<void> {
  for (const [chargeBoxId, name] of CHARGERS) {
    await saveCharger(deps, { chargeBoxId, name });
  }
  for (const c of CUSTOMERS) {
    await saveCustomer(deps, { id: c.id, name: c.name, email: c.email });
    await linkTag(deps, { idTag: c.tag, customerId: c.id });
  }
}

/**
 * Plays overlapping sessions on the demo chargers until `signal` aborts: every
 * pause and every call in flight ends on it, so the promise settles at once.
 */
export function driveDemoSessions(
  args: { baseUrl: string; keys: SteveKeys; signal: AbortSignal },
): Promise<void> {
  const log = logger("demo");
  const { signal } = args;
  const send = createSteveSender({ baseUrl: args.baseUrl, keys: args.keys, signal });
  const sleep = (ms: number) => sleepUnlessAborted(ms, signal);
  const charger = async (index: number) => {
    await sleep(index * 4_000);
    let round = 0;
    while (!args.signal.aborted) {
      const customer = CUSTOMERS[(index + round++) % CUSTOMERS.length];
      await runSession({ send, clock: systemClock, sleep, signal }, {
        chargeBoxId: CHARGERS[index][0],
        idTag: customer.tag,
        connectorId: 1,
        readings: 20 + index * 10,
        intervalMs: 3_000,
        startWh: 1_250_000 + index * 400_000 + round * 9_000,
        kw: [7.4, 11, 50][index],
        phases: index === 2 ? 1 : 3,
      }).catch((error) => log.warn("demo session failed", { error: String(error) }));
      await sleep(8_000);
    }
  };
  return Promise.all(CHARGERS.map((_, i) => charger(i))).then(() => {});
}
