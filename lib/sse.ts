/**
 * Server-Sent Events, for every stream the app serves.
 *
 * The stream always cleans up exactly once — client gone, server closing, or
 * an error — so subscriptions made in `start` never leak: register them with
 * `stream.onClose`.
 */

export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface SseStream {
  /** Sends one event; `data` is JSON-encoded. No-op once closed. */
  send(event: string, data: unknown): void;
  /** Runs `fn` once when the stream ends, however it ends. */
  onClose(fn: () => void): void;
  close(): void;
  readonly closed: boolean;
}

export interface SseOptions {
  /** The request's signal: aborts when the client goes away. */
  signal?: AbortSignal;
  /** The server's stop (`AppDeps.closing`): ends the stream so it cannot hold a shutdown. */
  closing?: AbortSignal;
  heartbeatMs?: number;
  /** Runs once when the stream ends, even one that ends before `start` runs (client gone at once). */
  onClose?: () => void;
  start(stream: SseStream): void | Promise<void>;
}

const encoder = new TextEncoder();

function assertSingleLine(value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new Error("SSE event names cannot contain line breaks");
  }
}

/** Builds a `text/event-stream` response driven by `options.start`. */
export function sseResponse(options: SseOptions): Response {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const given = [options.signal, options.closing].filter((s) => s !== undefined);
  const signal = given.length > 1 ? AbortSignal.any(given) : given[0];
  const cleanups: Array<() => void> = options.onClose ? [options.onClose] : [];
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    signal?.removeEventListener("abort", finish);
    for (const fn of cleanups.splice(0)) {
      try {
        fn();
      } catch { /* one failing cleanup must not skip the others */ }
    }
    try {
      controller.close();
    } catch { /* already closed or cancelled */ }
  };

  const write = (text: string) => {
    if (closed) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      finish();
    }
  };

  const stream: SseStream = {
    send(event, data) {
      assertSingleLine(event);
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      if (closed) fn();
      else cleanups.push(fn);
    },
    close: finish,
    get closed() {
      return closed;
    },
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal?.aborted) return finish();
      signal?.addEventListener("abort", finish, { once: true });
      // Tell the browser how long to wait before reconnecting, and flush headers.
      write(`retry: 3000\n\n`);
      heartbeat = setInterval(() => write(`: heartbeat\n\n`), heartbeatMs);
      Promise.resolve()
        .then(() => options.start(stream))
        .catch(() => finish());
    },
    cancel: finish,
  });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
      "x-accel-buffering": "no",
    },
  });
}
