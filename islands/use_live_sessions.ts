/**
 * Client state of a live-session stream: the snapshot replaces everything, a
 * `session` event replaces one session. EventSource reconnects by itself and
 * each reconnect starts with a fresh snapshot.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { TransactionMeter } from "../lib/event_bus.ts";
import type { LiveSessionView } from "../lib/live_sessions.ts";

/** How much power history each card's chart keeps (as the server's `history`: 30 minutes). */
const HISTORY_MS = 30 * 60 * 1000;

type Point = { t: number; kw: number };
type History = Map<number, Point[]>;

/** The charts as the server's `history` of each session draws them. */
function historyOf(list: LiveSessionView[]): History {
  return new Map(list.map((s) => [s.transactionPk, s.history.map(([t, kw]) => ({ t, kw }))]));
}

/**
 * `points` with the reading `s` added (one point per time) and those older
 * than {@link HISTORY_MS} before the newest dropped: measured against the
 * readings' own times, so a browser clock that differs does not empty it.
 */
function withReading(points: Point[], s: TransactionMeter): Point[] {
  if (s.kw === null) return points;
  const t = Date.parse(s.at);
  const next = [...points.filter((p) => p.t !== t), { t, kw: s.kw }].sort((a, b) => a.t - b.t);
  const cutoff = next[next.length - 1].t - HISTORY_MS;
  return next.filter((p) => p.t >= cutoff);
}

export function useLiveSessions(url: string, initial: LiveSessionView[]) {
  const sessions = useSignal<TransactionMeter[]>(initial);
  const connected = useSignal(false);
  const history = useSignal(historyOf(initial));
  const now = useSignal(Date.now());

  useEffect(() => {
    const tick = setInterval(() => now.value = Date.now(), 1000);
    const record = (s: TransactionMeter) => {
      if (s.kw === null) return;
      const map = new Map(history.value);
      map.set(s.transactionPk, withReading(map.get(s.transactionPk) ?? [], s));
      history.value = map;
    };
    const source = new EventSource(url);
    source.addEventListener("open", () => connected.value = true);
    source.addEventListener("error", () => connected.value = false);
    source.addEventListener("snapshot", (e) => {
      const list = JSON.parse((e as MessageEvent).data)
        .sessions as LiveSessionView[];
      sessions.value = list;
      // The stored history replaces what this page drew: every browser shows the same curve.
      history.value = historyOf(list);
      list.forEach(record);
      connected.value = true;
    });
    source.addEventListener("session", (e) => {
      const s = JSON.parse((e as MessageEvent).data) as TransactionMeter;
      const others = sessions.value.filter((x) => x.transactionPk !== s.transactionPk);
      sessions.value = [s, ...others].sort(byActivity);
      record(s);
    });
    return () => {
      clearInterval(tick);
      source.close();
    };
  }, [url]);

  return { sessions, connected, history, now };
}

/** Charging sessions first, newest first; then ended ones, most recently ended first. */
export function byActivity(a: TransactionMeter, b: TransactionMeter): number {
  if ((a.endedAt === null) !== (b.endedAt === null)) {
    return a.endedAt === null ? -1 : 1;
  }
  return Date.parse(b.endedAt ?? b.startedAt) -
    Date.parse(a.endedAt ?? a.startedAt);
}
