/**
 * The words of alert mails: what happened, what it means, what to do (the
 * runbook's sentences for 401s), and the recovered mail. Plain text only.
 * A partner's name may appear here (a mail body is not a log); mail ids,
 * made in ./service.ts, never carry one.
 */
import { adviceForOutcome } from "../hook_runbook.ts";
import { type AlertDetail, STORM_THRESHOLD, STORM_WINDOW_MINUTES } from "./causes.ts";

export interface AlertMail {
  subject: string;
  text: string;
}

/** One line of at most `max` characters (subjects are one line, ≤ 200 characters). */
function oneLine(s: string, max: number): string {
  const flat = s.replace(/[\r\n\t]+/g, " ").trim();
  return flat.length > max ? flat.slice(0, max - 1) + "…" : flat;
}

const FOOTER = (raisedAt: Date) =>
  [
    "",
    `Raised at ${raisedAt.toISOString()}.`,
    "You get at most one mail per cause per hour, and one more when it clears.",
  ].join("\n");

/** What holds, in a few words: the subject of both mails. */
export function alertTitle(d: AlertDetail): string {
  switch (d.kind) {
    case "hook_key":
      return `${d.variable} is ${
        d.problem === "missing_key" ? "not set" : "too short"
      }: ${d.hook} refuses every call`;
    case "hook_401":
      return `${d.hook} refusing calls (401), mostly ${d.byReason[0]?.[0] ?? "unknown"}`;
    case "partner_failing":
      return `deliveries to partner "${oneLine(d.partnerName, 80)}" failing for over an hour`;
    case "dead_letters":
      return "usage events dead-lettered (not billed in Lago)";
  }
}

/** The mail that raises a cause. */
export function raisedMail(d: AlertDetail, ctx: { raisedAt: Date; baseUrl: string }): AlertMail {
  return {
    subject: oneLine(`ExpresSync alert: ${alertTitle(d)}`, 200),
    text: raisedBody(d, ctx.baseUrl) + "\n" + FOOTER(ctx.raisedAt),
  };
}

function raisedBody(d: AlertDetail, baseUrl: string): string {
  switch (d.kind) {
    case "hook_key": {
      const missing = d.problem === "missing_key";
      const advice = adviceForOutcome(`unauthorized:${d.problem}`)!;
      return [
        `${d.hook} (${d.path}) answers 401 to every call: ${d.variable} is ${
          missing ? "not set" : `shorter than ${d.minLength} characters`
        } in ExpresSync's environment (on ${d.instances} running instance${
          d.instances === 1 ? "" : "s"
        }).`,
        "",
        `What it means: ${advice.meaning} ${
          d.failMode === "open"
            ? "SteVe fails open: charging goes on, but scan-to-login and live meter values stop."
            : "The caller fails closed: what it sends meanwhile is not acted on."
        }`,
        `What to do: ${advice.fix}`,
        `Check: ${baseUrl}/api/admin/hooks (docs/operations.md, "Diagnosing hook failures").`,
      ].join("\n");
    }
    case "hook_401": {
      const lines = [
        `${d.hook} (${d.path}) refused ${d.total} calls with 401 in the last ${d.windowMinutes} ` +
        "minutes (all ExpresSync instances together).",
        `By cause: ${d.byReason.map(([r, n]) => `${r} ${n}`).join(", ")}.`,
      ];
      for (const [reason, n] of d.byReason) {
        const advice = adviceForOutcome(`unauthorized:${reason}`);
        if (!advice) continue;
        lines.push("", `${reason} (${n}): ${advice.meaning}`, `What to do: ${advice.fix}`);
      }
      lines.push(
        "",
        (d.variable ? `The key is ${d.variable}. ` : "") +
          `Check: ${baseUrl}/api/admin/hooks (docs/operations.md, "Diagnosing hook failures").`,
      );
      return lines.join("\n");
    }
    case "partner_failing":
      return [
        `Webhook deliveries to partner "${d.partnerName}" created more than an hour ago are ` +
        "still not delivered (being retried, waiting for an inactive partner or a removed URL, or failed).",
        "",
        `What to do: open ${baseUrl}/admin/partners/${d.partnerId}: each delivery shows its last ` +
        'status and error. Fix the cause (the URL, the partner\'s endpoint, "Active" after a 410), ' +
        "check it with Test connection, then Retry.",
      ].join("\n");
    case "dead_letters":
      return [
        `${d.dead} usage event${d.dead === 1 ? " is" : "s are"} dead-lettered: Lago refused ` +
        `${d.dead === 1 ? "it" : "them"} for good, so that energy is not billed.`,
        "",
        `What to do: open ${baseUrl}/admin/billing, read each event's reason (a missing customer ` +
        "or subscription in Lago, a wrong metric code), fix it, then Retry dead letters " +
        "(or POST /api/admin/billing/retry).",
      ].join("\n");
  }
}

/** The mail that says a mailed cause cleared. */
export function recoveredMail(
  d: AlertDetail,
  ctx: { raisedAt: Date; clearedAt: Date },
): AlertMail {
  const what: Record<AlertDetail["kind"], string> = {
    hook_key: "No running instance reports the key missing or weak any more.",
    hook_401:
      `Fewer than ${STORM_THRESHOLD} calls were refused with 401 in the last ${STORM_WINDOW_MINUTES} minutes.`,
    partner_failing: "No delivery to this partner older than an hour is left undelivered.",
    dead_letters: "No usage event is dead-lettered any more.",
  };
  return {
    subject: oneLine(`ExpresSync recovered: ${alertTitle(d)}`, 200),
    text: [
      what[d.kind],
      "",
      `Raised at ${ctx.raisedAt.toISOString()}, cleared at ${ctx.clearedAt.toISOString()}.`,
    ].join("\n"),
  };
}
