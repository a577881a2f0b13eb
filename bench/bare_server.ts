/**
 * The second baseline of issue 15 §2: a bare `Deno.serve`, no Hono, no
 * middleware, no database, that reads each hook body and verifies its
 * `X-Signature` with the same scheme function as the app (`verifyHex`,
 * cached key), then answers `{"ok":true}`. It serves the paths and read-outs
 * `bench/load.ts` expects of a bench server, so a load runs against it as
 * against `bench/server.ts`.
 *
 *   deno run -A bench/bare_server.ts [--port 8787]
 */
import { parseArgs } from "node:util";
import { verifyHex } from "../lib/signatures/mod.ts";
import { BENCH_METER_KEY, BENCH_PREAUTH_KEY } from "./fixtures.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { port: { type: "string", default: "8787" } },
});

const KEYS: Record<string, string> = {
  "/bench/verify-only/pre-authorize": BENCH_PREAUTH_KEY,
  "/bench/verify-only/meter-values": BENCH_METER_KEY,
};
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

let received = 0;
const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(flags.port), onListen: () => {} },
  async (request) => {
    const path = new URL(request.url).pathname;
    const key = KEYS[path];
    if (key && request.method === "POST") {
      received++;
      const body = new Uint8Array(await request.arrayBuffer());
      const check = await verifyHex(request.headers.get("x-signature") ?? "", body, [key], {});
      return check.ok ? json({ ok: true }) : json({ error: "unauthorized" }, 401);
    }
    if (path === "/bench/received") return json({ received });
    // No database: the read-outs a verify-only load takes before and after.
    if (path === "/bench/stats") {
      return json({ hooksOk: { meterValues: 0 }, synchronousCommit: "", db: {} });
    }
    return json({ error: "not_found" }, 404);
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.shutdown();
    Deno.exit(0);
  });
}
