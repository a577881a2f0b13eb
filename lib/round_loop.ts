/**
 * The loop of a background sender (Lago, partner webhooks, email): one round
 * after another while there is work, else a pause `wake()` can end, so
 * stopping never waits out the idle interval.
 */
import { idleTimer } from "./idle_timer.ts";

export interface RoundLoop {
  /**
   * Ends the loop after the round in flight, waiting for that round at most
   * `stopWaitMs` when given (shutdown has 4 s for every step): what is still
   * in flight then is left to its lease and goes again after it.
   */
  stop(): Promise<void>;
}

/**
 * Runs `round` until stopped. `round` answers whether to go again at once
 * (there was work); a round that throws is reported to `onError` and counts
 * as idle.
 */
export function startRoundLoop(
  args: {
    round: () => Promise<boolean>;
    onError: (error: unknown) => void;
    idleMs: number;
    stopWaitMs?: number;
  },
): RoundLoop {
  let stopped = false;
  const idle = idleTimer();
  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        busy = await args.round();
      } catch (error) {
        args.onError(error);
      }
      if (!busy && !stopped) await idle.sleep(args.idleMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      idle.wake();
      if (args.stopWaitMs === undefined) return await loop;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        loop,
        new Promise<void>((resolve) => timer = setTimeout(resolve, args.stopWaitMs)),
      ]);
      clearTimeout(timer);
    },
  };
}
