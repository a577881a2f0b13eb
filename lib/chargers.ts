/**
 * Chargers: their secret QR token and the URL printed in their QR code, and
 * the registry of chargers SteVe has shown us in verified hooks.
 */
import { z } from "zod";
import type { Executor } from "../db/client.ts";
import {
  type Charger,
  getCharger,
  insertChargerIfMissing,
  listChargers,
  setChargerQrToken,
  upsertCharger,
} from "../db/queries/chargers.ts";
import { listActivePairs } from "../db/queries/scan_pairs.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import { ocppIdentifier } from "./identifiers.ts";
import { parseWith } from "./validation.ts";
import { newToken, secretsEqual } from "./tokens.ts";

export type { Charger };

/** What the admin API answers for a charger. */
export interface ChargerView {
  chargeBoxId: string;
  name: string | null;
  qrUrl: string;
  createdAt: string;
  updatedAt: string;
}

/** `${PUBLIC_BASE_URL}/c/:chargeBoxId?k=<token>`: what the charger's QR code opens. */
export function chargerQrUrl(publicBaseUrl: string, charger: Charger): string {
  return `${publicBaseUrl}/c/${encodeURIComponent(charger.chargeBoxId)}?k=${
    encodeURIComponent(charger.qrToken)
  }`;
}

export function toChargerView(
  publicBaseUrl: string,
  charger: Charger,
): ChargerView {
  return {
    chargeBoxId: charger.chargeBoxId,
    name: charger.name,
    qrUrl: chargerQrUrl(publicBaseUrl, charger),
    createdAt: charger.createdAt.toISOString(),
    updatedAt: charger.updatedAt.toISOString(),
  };
}

/** A charger as an admin saves it: the id SteVe knows it by, and a name (null: none). */
export const ChargerInput = z.object({
  chargeBoxId: ocppIdentifier,
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters")
    .nullable(),
});

/** Which charger an admin means: the same identifier rule as every other charger input. */
const ChargerRef = z.object({ chargeBoxId: ocppIdentifier });

/** What saving or rotating needs; `chargers` is told to forget its cached id. */
export interface ChargerDeps {
  db: Executor;
  clock: Clock;
  chargers?: ChargerRegistry;
}

/**
 * Creates the charger (with a fresh QR token) or renames it, from `input`
 * checked against {@link ChargerInput}. Throws `invalid_body` naming the
 * field; writes nothing then. Renaming keeps the printed QR code valid.
 */
export async function saveCharger(
  deps: ChargerDeps,
  input: unknown,
): Promise<{ charger: Charger; created: boolean }> {
  const { chargeBoxId, name } = parseWith(ChargerInput, input);
  const saved = await upsertCharger(deps.db, {
    chargeBoxId,
    name,
    qrToken: newToken(),
    now: deps.clock.now(),
  });
  deps.chargers?.forget(chargeBoxId);
  return saved;
}

/**
 * Gives the charger a new QR token: printed codes with the old one stop
 * working. An invalid id is `invalid_body` (field `chargeBoxId`), an unknown
 * charger `not_found`.
 */
export async function rotateQrToken(deps: ChargerDeps, chargeBoxId: unknown): Promise<Charger> {
  const ref = parseWith(ChargerRef, { chargeBoxId });
  const charger = await setChargerQrToken(deps.db, {
    chargeBoxId: ref.chargeBoxId,
    qrToken: newToken(),
    now: deps.clock.now(),
  });
  if (!charger) throw new AppError("not_found");
  return charger;
}

/** The charger with this id, or null (an invalid id is `invalid_body`). */
export async function findCharger(
  deps: { db: Executor },
  chargeBoxId: unknown,
): Promise<Charger | null> {
  return await getCharger(deps.db, parseWith(ChargerRef, { chargeBoxId }).chargeBoxId);
}

/** Every charger by id (the admin API's list, the print view). */
export function listAllChargers(deps: { db: Executor }): Promise<Charger[]> {
  return listChargers(deps.db);
}

/**
 * Every charger by id, with its active (armed or matched, unexpired at the
 * injected clock's now) scan-pair if it has one: the admin's charger list.
 */
export async function listChargersWithPairs(
  deps: { db: Executor; clock: Clock },
): Promise<Array<{ charger: Charger; pair?: { status: string } }>> {
  const [chargers, pairs] = await Promise.all([
    listChargers(deps.db),
    listActivePairs(deps.db, deps.clock.now()),
  ]);
  return chargers.map((charger) => ({ charger, pair: pairs.get(charger.chargeBoxId) }));
}

/**
 * The charger, only if `token` is its current QR token. Unknown charger and
 * wrong token look the same to the caller, so the id alone reveals nothing.
 */
export async function getChargerByQrToken(
  db: Executor,
  args: { chargeBoxId: string; token: string },
): Promise<Charger | null> {
  const charger = await getCharger(db, args.chargeBoxId);
  // Compare even when the charger is unknown, so timing does not tell either.
  const ok = secretsEqual(charger?.qrToken ?? "\u0000no-charger", args.token);
  return charger && ok ? charger : null;
}

/**
 * Remembers chargers seen in verified hooks. Each id costs one insert per
 * process; after that the hot path only checks a Set.
 */
export class ChargerRegistry {
  readonly #seen = new Set<string>();
  constructor(private readonly clock: Clock, private readonly maxCached = 100_000) {}

  async remember(db: Executor, chargeBoxId: string): Promise<void> {
    if (this.#seen.has(chargeBoxId)) return;
    await insertChargerIfMissing(db, {
      chargeBoxId,
      qrToken: newToken(),
      now: this.clock.now(),
    });
    if (this.#seen.size >= this.maxCached) this.#seen.clear();
    this.#seen.add(chargeBoxId);
  }

  /** Forget what this process has cached (e.g. after an admin changed the table). */
  forget(chargeBoxId: string): void {
    this.#seen.delete(chargeBoxId);
  }
}
