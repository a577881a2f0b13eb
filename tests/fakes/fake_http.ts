/**
 * The loopback server both fakes stand on: `Deno.serve` on 127.0.0.1, a pause
 * that ends when the server closes (so a hung request never outlives the
 * test), and the small response helpers they share.
 */

/** A running fake: its origin, a pause bound to its lifetime, and close. */
export interface FakeHttpServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  origin: string;
  /** Waits `ms`; resolves `false` at once if the server closes first. */
  pause(ms: number): Promise<boolean>;
  /** Ends every paused request, then shuts the server down. */
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 (port 0 picks a free one). */
export function serveFake(
  handler: (request: Request) => Response | Promise<Response>,
  port = 0,
): FakeHttpServer {
  const closing = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    handler,
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    pause: (ms) =>
      new Promise((resolve) => {
        if (closing.signal.aborted) return resolve(false);
        const onClose = () => (clearTimeout(timer), resolve(false));
        const timer = setTimeout(() => {
          closing.signal.removeEventListener("abort", onClose);
          resolve(true);
        }, ms);
        closing.signal.addEventListener("abort", onClose, { once: true });
      }),
    close: async () => {
      // Shutdown waits for in-flight handlers, so release the paused ones first.
      closing.abort();
      await server.shutdown();
    },
  };
}

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The HTTP reason phrase for `status` ("Error" for ones not listed). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Error";
}

/** A JSON response; a string body is sent as-is as HTML (a proxy's page). */
export function fakeResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  const html = typeof body === "string";
  return new Response(html ? body : JSON.stringify(body), {
    status,
    headers: {
      "content-type": html ? "text/html; charset=utf-8" : "application/json; charset=utf-8",
      ...headers,
    },
  });
}
