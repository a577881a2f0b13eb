/**
 * The pause of a background loop between rounds: a sleep that `wake()` ends
 * early, so stopping a worker never waits out its idle interval.
 */
export interface IdleTimer {
  /** Resolves after `ms`, or at once when woken meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Ends the current sleep, if any. */
  wake(): void;
}

export function idleTimer(): IdleTimer {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      }),
    wake: () => wake?.(),
  };
}
