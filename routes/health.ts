// Liveness and database reachability, for load balancers and `deno task steve`.
import { sql } from "drizzle-orm";
import type { Handlers } from "../lib/app_deps.ts";

export const handler: Handlers = {
  async GET(c) {
    const { db } = c.get("deps");
    try {
      await db.rows(sql`select 1`);
      return c.json({ ok: true, database: db.driver });
    } catch {
      return c.json({ ok: false, database: db.driver }, 503);
    }
  },
};
