/**
 * `deno task admin <email>`: creates an admin, or sets the password of an
 * existing one. The password comes from ADMIN_PASSWORD or is asked for.
 * Uses the same database as the app (DATABASE_URL, else PGlite in DATA_DIR).
 */
import { openDatabase } from "../db/client.ts";
import { upsertAdmin, validateNewAdmin } from "../lib/admin_accounts.ts";
import { systemClock } from "../lib/clock.ts";
import { ConfigError, loadConfig } from "../lib/config.ts";

const email = Deno.args[0];
if (!email || email === "--help") {
  console.error(
    "usage: deno task admin <email>   (password from ADMIN_PASSWORD, or asked)",
  );
  Deno.exit(2);
}
let config;
try {
  config = loadConfig(Deno.env.toObject());
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`invalid ${error.message}`);
    Deno.exit(2);
  }
  throw error;
}
const password = config.adminPassword ??
  prompt("Password (at least 12 characters):") ?? "";
const problem = validateNewAdmin({ email, password });
if (problem) {
  console.error(problem);
  Deno.exit(2);
}
const db = await openDatabase({
  url: config.databaseUrl,
  dataDir: config.dataDir,
});
try {
  const result = await upsertAdmin({ db, clock: systemClock }, { email, password });
  console.log(`admin ${email.trim().toLowerCase()} ${result}`);
} finally {
  await db.close();
}
