/**
 * Chargers: their secret QR token and the URL printed in their QR code, and
 * the registry of chargers SteVe has shown us in verified hooks.
 */
import type { Executor } from "../db/client.ts";
import {
  type Charger,
  getCharger,
  insertChargerIfMissing,
  setChargerQrToken,
  upsertCharger,
} from "../db/queries/chargers.ts";
import type { Clock } from "./clock.ts";
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

export function saveCharger(
  deps: { db: Executor; clock: Clock },
  args: { chargeBoxId: string; name: string | null },
): Promise<{ charger: Charger; created: boolean }> {
  return upsertCharger(deps.db, { ...args, qrToken: newToken(), now: deps.clock.now() });
}

/** Gives the charger a new QR token: printed codes with the old one stop working. */
export function rotateQrToken(
  deps: { db: Executor; clock: Clock },
  chargeBoxId: string,
): Promise<Charger | null> {
  return setChargerQrToken(deps.db, { chargeBoxId, qrToken: newToken(), now: deps.clock.now() });
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
