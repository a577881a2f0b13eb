/**
 * A customer's browser session (cookie `es_session`, lib/http/web_sessions.ts):
 * what scan-to-login and the emailed sign-in link both start, the same way.
 */
import type { Executor } from "../db/client.ts";
import { insertCustomerSession } from "../db/queries/customers.ts";
import { newToken, tokenHash } from "./tokens.ts";

/** How long a customer session lasts. */
export const CUSTOMER_SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * Stores a new session for `customerId` on `tx` (the transaction that proved
 * who the customer is) and returns its token for the cookie; only the
 * token's hash is stored.
 */
export async function startCustomerSession(
  tx: Executor,
  args: { customerId: string; now: Date },
): Promise<{ sessionToken: string; expiresAt: Date }> {
  const sessionToken = newToken(32);
  const expiresAt = new Date(args.now.getTime() + CUSTOMER_SESSION_TTL_MS);
  await insertCustomerSession(tx, {
    tokenHash: tokenHash(sessionToken),
    customerId: args.customerId,
    expiresAt,
    now: args.now,
  });
  return { sessionToken, expiresAt };
}
