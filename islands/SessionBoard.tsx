import type { LiveSessionView } from "../lib/live_sessions.ts";
import { SessionCard } from "../components/SessionCard.tsx";
import { byActivity, useLiveSessions } from "./use_live_sessions.ts";

export interface SessionBoardProps {
  sessions: LiveSessionView[];
}

/** The admin dashboard: every live session as a card, updating from SSE. */
export default function SessionBoard(props: SessionBoardProps) {
  const live = useLiveSessions(
    "/api/admin/sessions/live/events",
    props.sessions,
  );
  const sessions = [...live.sessions.value].sort(byActivity);
  const charging = sessions.filter((s) => s.endedAt === null).length;
  return (
    <section aria-labelledby="live-title">
      <div class="section-head">
        <h1 id="live-title">Live sessions</h1>
        <ConnectionState connected={live.connected.value} />
      </div>
      <p class="muted" aria-live="polite">
        {charging === 1 ? "1 charging now" : `${charging} charging now`}
      </p>
      {sessions.length === 0
        ? (
          <p class="empty">
            No sessions yet. They appear here as soon as a charger sends meter values.
          </p>
        )
        : (
          <div class="card-grid">
            {sessions.map((s) => (
              <SessionCard
                key={s.transactionPk}
                session={s}
                now={live.now.value}
                showCustomer
                history={live.history.value.get(s.transactionPk) ?? []}
              />
            ))}
          </div>
        )}
    </section>
  );
}

export function ConnectionState({ connected }: { connected: boolean }) {
  return (
    <span class={connected ? "conn conn-on" : "conn conn-off"} role="status">
      {connected ? "Live" : "Reconnecting…"}
    </span>
  );
}
