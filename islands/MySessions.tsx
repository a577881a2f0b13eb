import type { LiveSessionView } from "../lib/live_sessions.ts";
import { SessionCard } from "../components/SessionCard.tsx";
import { ConnectionState } from "./SessionBoard.tsx";
import { byActivity, useLiveSessions } from "./use_live_sessions.ts";

export interface MySessionsProps {
  sessions: LiveSessionView[];
}

/** The customer's own live session(s), updating from SSE. */
export default function MySessions(props: MySessionsProps) {
  const live = useLiveSessions("/api/me/events", props.sessions);
  const active = live.sessions.value.filter((s) => s.endedAt === null).sort(
    byActivity,
  );
  const justEnded = live.sessions.value.filter((s) => s.endedAt !== null).sort(
    byActivity,
  )
    .slice(0, 1);
  const shown = active.length ? active : justEnded;
  return (
    <section aria-labelledby="now-title">
      <div class="section-head">
        <h2 id="now-title">Charging now</h2>
        <ConnectionState connected={live.connected.value} />
      </div>
      {shown.length === 0
        ? (
          <p class="empty">
            No active session. Tap your card at a charger to start — it shows up here by itself.
          </p>
        )
        : shown.map((s) => (
          <SessionCard
            key={s.transactionPk}
            session={s}
            now={live.now.value}
            history={live.history.value.get(s.transactionPk) ?? []}
          />
        ))}
    </section>
  );
}
