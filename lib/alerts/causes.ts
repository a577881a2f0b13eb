/**
 * What holds now, as alert causes (issue 14 §3): each read from the database,
 * so every instance sees the same causes. A cause's key names its kind and
 * subject (an endpoint, a partner's id), never a person or a partner's name.
 */
import type { Executor } from "../../db/client.ts";
import { hookKeyProblemsSince, unauthorizedCountsSince } from "../../db/queries/hook_outcomes.ts";
import { partnersFailingLong } from "../../db/queries/partner_deliveries.ts";
import { listPartners } from "../../db/queries/partners.ts";
import { countDeadEvents } from "../../db/queries/usage_events.ts";
import { type HookKeyProblem, minSecretLength } from "../config.ts";
import { BUCKET_MS } from "../hook_stats.ts";
import {
  ENV_SIGNED_ENDPOINT_LIST,
  type EnvSignedEndpointId,
  SIGNED_ENDPOINT_LIST,
  type SignedEndpoint,
} from "../signed_endpoints.ts";

/** 401s on one hook within {@link STORM_WINDOW_MINUTES} that raise the storm alert. */
export const STORM_THRESHOLD = 10;
/** The storm window: the current minute and the four before it (never more than 5 minutes). */
export const STORM_WINDOW_MINUTES = 5;
/** Undelivered this long after creation, a partner's deliveries are "failing". */
export const PARTNER_FAILING_AFTER_MS = 3600_000;
/**
 * An instance's report of an unusable key counts while this fresh; instances
 * refresh theirs every alert round (10 s), so a crashed one drops out after this.
 */
export const KEY_REPORT_FRESH_MS = 60_000;

/** What a cause looked like when it was raised: stored as JSON, rendered into its mails. */
export type AlertDetail =
  | {
    kind: "hook_key";
    endpoint: EnvSignedEndpointId;
    hook: string;
    path: string;
    variable: string;
    problem: HookKeyProblem;
    minLength: number;
    failMode: "open" | "closed";
    /** Running instances that report it. */
    instances: number;
  }
  | {
    kind: "hook_401";
    hook: string;
    path: string;
    variable: string | null;
    total: number;
    /** Refused calls per reason (`mismatch`, …), most first. */
    byReason: Array<[string, number]>;
    windowMinutes: number;
  }
  | { kind: "partner_failing"; partnerId: string; partnerName: string }
  | { kind: "dead_letters"; dead: number };

/** The causes that hold at `now`, by cause key. */
export async function currentCauses(
  db: Executor,
  now: Date,
): Promise<Map<string, AlertDetail>> {
  const causes = new Map<string, AlertDetail>();
  const nowMs = now.getTime();

  for (const report of await hookKeyProblemsSince(db, new Date(nowMs - KEY_REPORT_FRESH_MS))) {
    const entry = ENV_SIGNED_ENDPOINT_LIST.find(([id]) => id === report.endpoint);
    if (!entry) continue; // an endpoint a newer release reports and this one does not know
    const [id, endpoint] = entry;
    causes.set(`hook-key:${id}`, {
      kind: "hook_key",
      endpoint: id,
      hook: endpoint.name,
      path: endpoint.path,
      variable: endpoint.secretVariables[0],
      problem: report.problem as HookKeyProblem,
      minLength: minSecretLength(endpoint),
      failMode: endpoint.failMode,
      instances: report.instances,
    });
  }

  const windowStart = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS -
    (STORM_WINDOW_MINUTES - 1) * BUCKET_MS;
  const byHook = new Map<string, Array<[string, number]>>();
  for (const row of await unauthorizedCountsSince(db, new Date(windowStart))) {
    const reasons = byHook.get(row.endpoint) ?? [];
    reasons.push([row.outcome.slice("unauthorized:".length), row.count]);
    byHook.set(row.endpoint, reasons);
  }
  for (const [hook, reasons] of byHook) {
    const total = reasons.reduce((sum, [, n]) => sum + n, 0);
    if (total < STORM_THRESHOLD) continue;
    const endpoint: SignedEndpoint | undefined = SIGNED_ENDPOINT_LIST.find(([, e]) =>
      e.name === hook
    )?.[1];
    if (!endpoint) continue;
    causes.set(`hook-401:${hook}`, {
      kind: "hook_401",
      hook,
      path: endpoint.path,
      variable: endpoint.secretVariables[0] ?? null,
      total,
      byReason: reasons.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
      windowMinutes: STORM_WINDOW_MINUTES,
    });
  }

  const failing = await partnersFailingLong(db, {
    failingBefore: new Date(nowMs - PARTNER_FAILING_AFTER_MS),
  });
  if (failing.length) {
    const names = new Map((await listPartners(db)).map((p) => [p.id, p.name]));
    for (const partnerId of failing) {
      causes.set(`partner-failing:${partnerId}`, {
        kind: "partner_failing",
        partnerId,
        partnerName: names.get(partnerId) ?? partnerId,
      });
    }
  }

  const dead = await countDeadEvents(db);
  if (dead > 0) causes.set("usage-dead-letters", { kind: "dead_letters", dead });
  return causes;
}
