// The admin hooks page: per signed endpoint and the email worker's replies, why calls fail.
import type { HookHealth, HooksHealth } from "../lib/hook_health.ts";
import { formatClock, formatDate } from "./format.ts";
import { Page } from "./Page.tsx";

/** A hook as the page shows it: its health and where it is called. */
export interface HookPageEntry extends HookHealth {
  path: string | null;
  header: string;
}

export interface HooksPageProps {
  hooks: HookPageEntry[];
  storedSince: string | null;
  silentSessions: HooksHealth["silentSessions"];
  csrf: string;
}

const total = (counts: Record<string, number>, pick: (outcome: string) => boolean) =>
  Object.entries(counts).reduce((sum, [o, n]) => (pick(o) ? sum + n : sum), 0);
const isBad = (o: string) => o !== "ok";

/** `/admin/hooks`: what `GET /api/admin/hooks` says, for a person. */
export function HooksPage({ hooks, storedSince, silentSessions, csrf }: HooksPageProps) {
  return (
    <Page title="Hooks · ExpresSync" adminNav="hooks" csrf={csrf} wide>
      <div class="section-head">
        <h1>Hooks</h1>
      </div>
      <p class="muted">
        Every signed endpoint, and the email worker's replies to our calls: counted per minute by
        every instance and kept 48 hours{storedSince
          ? ` (stored since ${formatDate(storedSince)})`
          : ""}. A fingerprint is the first 16 hex of HMAC-SHA256(key,
        "expressync-key-fingerprint"): compare it with the caller's to check both hold the same key.
      </p>
      {silentSessions.total > 0 && (
        <p class="alert" role="alert" data-testid="silent-sessions">
          {silentSessions.total === 1
            ? "1 session is open"
            : `${silentSessions.total} sessions are open`}{" "}
          but no meter value has come for 5 minutes: SteVe is silent or its calls fail (
          {silentSessions.sessions.map((s) =>
            `${s.chargeBoxId} since ${formatClock(s.lastMeterValueAt)}`
          ).join(", ")}
          {silentSessions.total > silentSessions.sessions.length ? ", …" : ""}).
        </p>
      )}
      {hooks.map((hook) => <HookSection key={hook.name} hook={hook} />)}
    </Page>
  );
}

function HookSection({ hook }: { hook: HookPageEntry }) {
  return (
    <section
      class="panel"
      data-testid={`hook-${hook.name}`}
      data-failing={hook.failing ? "true" : "false"}
    >
      <div class="section-head">
        <h2>
          {hook.name} {hook.failing
            ? <span class="badge badge-warn">failing</span>
            : Object.keys(hook.lastHour).length
            ? <span class="badge badge-live">calls in the last hour</span>
            : <span class="badge">no calls in the last hour</span>}
        </h2>
        <span class="small muted">
          {hook.direction === "out" ? "we call " : ""}
          <span class="mono">{hook.path ?? "EMAIL_WORKER_URL not set"}</span>, signed in{" "}
          <span class="mono">{hook.header}</span>
        </span>
      </div>
      <p class="small" data-testid="last-ok">
        Last good call: {hook.lastOkAt ? formatDate(hook.lastOkAt) : "none stored"}
      </p>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Variable</th>
            <th scope="col">Fingerprint</th>
            <th scope="col">Passes</th>
          </tr>
        </thead>
        <tbody>
          {hook.keys.map((k) => (
            <tr key={k.name} data-testid={`key-${k.name}`}>
              <td>{k.name}</td>
              <td class="mono small">{k.variable}</td>
              <td class="mono">
                {k.fingerprint ??
                  (k.problem === "weak_key"
                    ? "too short: not used"
                    : k.variable === "per partner"
                    ? "one per partner"
                    : "not set")}
              </td>
              <td>{k.passes}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Last hour, 5-minute buckets</h3>
      <div class="hook-buckets" data-testid="hour-buckets">
        {hook.lastHourBuckets.map((b) => {
          const bad = total(b.counts, isBad);
          const ok = total(b.counts, (o) => o === "ok");
          return (
            <div
              key={b.start}
              class={bad > 0 ? "bad" : ok > 0 ? "good" : ""}
              title={Object.entries(b.counts).map(([o, n]) => `${o}: ${n}`).join(", ") ||
                "no calls"}
            >
              <div class="muted">{formatClock(b.start)}</div>
              <div>{ok} ok</div>
              <div>{bad} other</div>
            </div>
          );
        })}
      </div>
      <h3>Outcomes</h3>
      <table class="table" data-testid="outcomes">
        <thead>
          <tr>
            <th scope="col">Outcome</th>
            <th scope="col">Last hour</th>
            <th scope="col">Last 24 hours</th>
          </tr>
        </thead>
        <tbody>
          {Object.keys(hook.last24Hours).length === 0 && (
            <tr>
              <td colSpan={3} class="empty">No calls in the last 24 hours.</td>
            </tr>
          )}
          {Object.entries(hook.last24Hours).map(([outcome, n]) => (
            <tr key={outcome}>
              <td class="mono">{outcome}</td>
              <td>{hook.lastHour[outcome] ?? 0}</td>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {hook.unauthorized.length > 0 && (
        <>
          <h3>Refused (401) by cause</h3>
          <table class="table" data-testid="refusals">
            <thead>
              <tr>
                <th scope="col">Cause</th>
                <th scope="col">Last hour</th>
                <th scope="col">24 h</th>
                <th scope="col">What it means</th>
                <th scope="col">Fix</th>
              </tr>
            </thead>
            <tbody>
              {hook.unauthorized.map((r) => (
                <tr key={r.reason} data-testid={`refusal-${r.reason}`}>
                  <td class="mono">{r.reason}</td>
                  <td>{r.lastHour}</td>
                  <td>{r.last24Hours}</td>
                  <td class="small">{r.meaning}</td>
                  <td class="small">{r.fix}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
