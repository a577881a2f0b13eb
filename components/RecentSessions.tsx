import type { TransactionMeter } from "../lib/event_bus.ts";
import { formatDate, formatDuration, formatKwh } from "./format.ts";

/** A customer's finished sessions as a compact list. */
export function RecentSessions({ sessions }: { sessions: TransactionMeter[] }) {
  return (
    <section aria-labelledby="recent-title" class="recent">
      <h2 id="recent-title">Recent sessions</h2>
      {sessions.length === 0
        ? <p class="muted">Your finished sessions will be listed here.</p>
        : (
          <ul class="recent-list">
            {sessions.map((s) => (
              <li key={s.transactionPk}>
                <span class="recent-where">
                  <strong>{s.chargerName ?? s.chargeBoxId}</strong>
                  <span class="muted small">{formatDate(s.startedAt)}</span>
                </span>
                <span class="recent-figures">
                  <strong>{formatKwh(s.kwh)}</strong>
                  <span class="muted small">
                    {formatDuration(
                      Date.parse(s.endedAt!) - Date.parse(s.startedAt),
                    )}
                  </span>
                </span>
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}
