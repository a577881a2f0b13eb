/** A small SSE client for tests: reads events one by one from a real HTTP stream. */

export interface SseEvent {
  event: string;
  // deno-lint-ignore no-explicit-any
  data: any;
}

export interface SseReader {
  response: Response;
  /** The next event (skipping comments), or throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Resolves with no event when none arrives within `ms`; fails if one does. */
  expectSilence(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;

  const parse = (): SseEvent | null => {
    while (true) {
      const end = buffer.indexOf("\n\n");
      if (end < 0) return null;
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
      if (event) {
        return {
          event,
          data: data === undefined ? undefined : JSON.parse(data),
        };
      }
    }
  };

  const next = async (timeoutMs = 5_000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const parsed = parse();
      if (parsed) return parsed;
      pending ??= reader.read();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) =>
        timer = setTimeout(
          () => r("timeout"),
          Math.max(0, deadline - Date.now()),
        )
      );
      const result = await Promise.race([pending, timeout]);
      clearTimeout(timer);
      if (result === "timeout") throw new Error("no SSE event in time");
      pending = null;
      if (result.done) throw new Error("SSE stream ended");
      buffer += decoder.decode(result.value, { stream: true });
    }
  };

  return {
    response,
    next,
    async expectSilence(ms) {
      try {
        const event = await next(ms);
        throw new Error(
          `unexpected SSE event ${event.event}: ${JSON.stringify(event.data)}`,
        );
      } catch (error) {
        if (
          !(error instanceof Error) || error.message !== "no SSE event in time"
        ) throw error;
      }
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}
