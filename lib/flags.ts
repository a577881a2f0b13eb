/**
 * Runtime feature flags. The stored value, once an admin sets one, wins over
 * the environment default and survives restarts. Reads come from memory (the
 * pre-authorize hot path cannot afford a query per call); a periodic refresh
 * picks up changes another instance made.
 */
import { z } from "zod";
import type { Executor } from "../db/client.ts";
import type { Clock } from "./clock.ts";
import { getStoredFlags, setStoredFlag } from "../db/queries/flags.ts";
import { parseWith } from "./validation.ts";

export type FlagName = "pre-authorize";

export class FeatureFlags {
  #values: Map<string, boolean>;

  constructor(private readonly defaults: Record<FlagName, boolean>) {
    this.#values = new Map(Object.entries(defaults));
  }

  isEnabled(name: FlagName): boolean {
    return this.#values.get(name) ?? this.defaults[name];
  }

  /** Loads stored values over the defaults. */
  async refresh(db: Executor): Promise<void> {
    const stored = await getStoredFlags(db);
    this.#values = new Map([...Object.entries(this.defaults), ...stored]);
  }

  async set(
    deps: { db: Executor; clock: Clock },
    name: FlagName,
    enabled: boolean,
  ): Promise<void> {
    await setStoredFlag(deps.db, { name, enabled, now: deps.clock.now() });
    this.#values.set(name, enabled);
  }
}

/** The pre-authorize switch as an admin sets it. */
export const PreAuthorizeSwitch = z.object({ enabled: z.boolean() });

/** What the admin API answers for the pre-authorize flag. */
export interface PreAuthorizeFlagView {
  name: "pre-authorize";
  enabled: boolean;
}

/** The pre-authorize flag as this instance currently applies it. */
export function preAuthorizeFlag(flags: FeatureFlags): PreAuthorizeFlagView {
  return { name: "pre-authorize", enabled: flags.isEnabled("pre-authorize") };
}

/**
 * Turns pre-authorize on or off from `input` (checked against
 * {@link PreAuthorizeSwitch}); stored, so it survives restarts. Throws
 * `invalid_body` naming the field; changes nothing then.
 */
export async function switchPreAuthorize(
  deps: { db: Executor; clock: Clock; flags: FeatureFlags },
  input: unknown,
): Promise<PreAuthorizeFlagView> {
  const { enabled } = parseWith(PreAuthorizeSwitch, input);
  await deps.flags.set(deps, "pre-authorize", enabled);
  return preAuthorizeFlag(deps.flags);
}
