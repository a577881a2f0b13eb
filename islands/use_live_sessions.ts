/**
 * Client state of a live-session stream: the snapshot replaces everything, a
 * `session` event replaces one session. EventSource reconnects by itself and
 * each reconnect starts with a fresh snapshot.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { TransactionMeter } from "../lib/event_bus.ts";

/** Minutes of power history each card's chart keeps. */
const HISTORY_MS = 10 * 60 * 1000;

export function useLiveSessions(url: string, initial: TransactionMeter[]) {
  const sessions = useSignal(initial);
  const connected = useSignal(false);
  const history = useSignal(
    new Map<number, Array<{ t: number; kw: number }>>(),
  );
  const now = useSignal(Date.now());

  useEffect(() => {
    const tick = setInterval(() => now.value = Date.now(), 1000);
    const record = (s: TransactionMeter) => {
      if (s.kw === null) return;
      const map = new Map(history.value);
      const cutoff = Date.now() - HISTORY_MS;
      const points = (map.get(s.transactionPk) ?? []).filter((p) => p.t >= cutoff);
      points.push({ t: Date.parse(s.at), kw: s.kw });
      points.sort((a, b) => a.t - b.t);
      map.set(s.transactionPk, points);
      history.value = map;
    };
    const source = new EventSource(url);
    source.addEventListener("open", () => connected.value = true);
    source.addEventListener("error", () => connected.value = false);
    source.addEventListener("snapshot", (e) => {
      const list = JSON.parse((e as MessageEvent).data)
        .sessions as TransactionMeter[];
      sessions.value = list;
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
