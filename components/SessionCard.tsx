import type { TransactionMeter } from "../lib/event_bus.ts";
import { formatClock, formatDuration, formatKw, formatKwh } from "./format.ts";
import { Sparkline } from "./Sparkline.tsx";

export interface SessionCardProps {
  session: TransactionMeter;
  /** Current time in ms, ticking in islands so elapsed time moves. */
  now: number;
  showCustomer?: boolean;
  /** Recent kW points for the chart. */
  history?: Array<{ t: number; kw: number }>;
}

/** One charging session: energy, power, elapsed time, and whether it ended. */
export function SessionCard(
  { session, now, showCustomer, history }: SessionCardProps,
) {
  const ended = session.endedAt !== null;
  const started = Date.parse(session.startedAt);
  const until = ended ? Date.parse(session.endedAt!) : now;
  const charger = session.chargerName ?? session.chargeBoxId;
  return (
    <article
      class={ended ? "session-card ended" : "session-card"}
      aria-label={`Session at ${charger}`}
      data-transaction={session.transactionPk}
    >
      <header>
        <div>
          <h3>{charger}</h3>
          <p class="muted small">
            Connector {session.connectorId} · started {formatClock(session.startedAt)}
          </p>
        </div>
        {ended
          ? (
            <span class="badge badge-ended">
              Ended {formatClock(session.endedAt!)}
            </span>
          )
          : <span class="badge badge-live">Charging</span>}
      </header>
      {showCustomer && (
        <p class="customer">
          {session.customerName ?? <span class="muted">Unknown customer</span>}
        </p>
      )}
      <dl class="figures">
        <div>
          <dt>Energy</dt>
          <dd class="kwh">{formatKwh(session.kwh)}</dd>
        </div>
        <div>
          <dt>Power</dt>
          <dd class="kw">{formatKw(session.kw)}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{formatDuration(until - started)}</dd>
        </div>
      </dl>
      {history && !ended && (
        <Sparkline
          points={history}
          label={`Power at ${charger}, last minutes`}
        />
      )}
    </article>
  );
}
