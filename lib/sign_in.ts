/**
 * Sign-in by emailed link, for customers away from a charger (issue 14 §3).
 *
 * `/login` takes an address and always answers the same, whether or not a
 * customer has it. No account enumeration, in the answer nor in its timing:
 * every accepted request runs the same statements in one transaction (lock,
 * count, and one insert that records the request with a fresh token's hash
 * and, only for a customer's address, queues the mail; see
 * db/queries/sign_in_links.ts), and the mail is rendered either way. Only
 * whether the mail row is inserted differs, inside one statement. The limits
 * (3 per address, 10 per client, per 15 minutes) count requests for unknown
 * addresses alike, so they reveal nothing either.
 *
 * The link carries 32 random bytes (base64url), stored as SHA-256, works once
 * and for 15 minutes. Opening it reads only; pressing its "Sign in" button
 * uses it and starts the customer's session as scan-to-login does.
 */
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { getCustomer } from "../db/queries/customers.ts";
import {
  countSignInRequests,
  insertSignInLink,
  isSignInLinkUsable,
  lockSignInKeys,
  useSignInLink,
  type WindowCount,
} from "../db/queries/sign_in_links.ts";
import type { Clock } from "./clock.ts";
import { startCustomerSession } from "./customer_sessions.ts";
import { renderSignInMail } from "./email/sign_in_mail.ts";
import { AppError } from "./errors.ts";
import { hashForLog, logger } from "./logging.ts";
import { newToken, tokenHash } from "./tokens.ts";
import { parseWith } from "./validation.ts";

/** How long a link works. */
export const SIGN_IN_LINK_TTL_MS = 15 * 60 * 1000;
/** The window both limits count requests in. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** Requests per address (account or not) per window. */
export const SIGN_IN_LIMIT_PER_ADDRESS = 3;
/** Requests per client address per window. */
export const SIGN_IN_LIMIT_PER_CLIENT = 10;
/** Random bytes in a link's token (43 base64url characters). */
const TOKEN_BYTES = 32;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface SignInDeps {
  db: Database;
  clock: Clock;
  /** `PUBLIC_BASE_URL`: the links point there. */
  publicBaseUrl: string;
}

/** The address as a form sends it: trimmed, at most 320 characters, an email address. */
export const SignInAddress = z.string("Enter your email address.").trim()
  .min(1, "Enter your email address.")
  .max(320, "That is too long for an email address.")
  .pipe(z.email("Enter a valid email address."));

/** How addresses are compared: trimmed, case-insensitively. */
export const normalizeAddress = (address: string) => address.trim().toLowerCase();

/** The link's URL for `token`. */
export const signInLinkUrl = (publicBaseUrl: string, token: string) =>
  `${publicBaseUrl}/login/email?token=${token}`;

/** Seconds until a full window count drops below its limit. */
function secondsUntilFree(count: WindowCount, now: Date): number {
  const freeAt = (count.oldest?.getTime() ?? now.getTime()) + SIGN_IN_WINDOW_MS;
  return Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
}

/**
 * Records a request for a link to `email` from `clientAddress`, and queues
 * the mail when a customer has that address. Answers nothing either way.
 * Throws `invalid_body` (field `email`) for a missing, oversized or invalid
 * address, and `rate_limited` (with `Retry-After`) past either limit; nothing
 * is written then.
 */
export async function requestSignInLink(
  deps: SignInDeps,
  args: { email: unknown; clientAddress: string },
): Promise<void> {
  const address = normalizeAddress(parseWith(z.object({ email: SignInAddress }), args).email);
  const addressHash = tokenHash(address);
  const clientHash = tokenHash(args.clientAddress);
  const token = newToken(TOKEN_BYTES);
  const now = deps.clock.now();
  // Rendered for every request, mailed or not: the same work either way.
  const mail = renderSignInMail({
    link: signInLinkUrl(deps.publicBaseUrl, token),
    minutes: SIGN_IN_LINK_TTL_MS / 60_000,
  });
  const link = await deps.db.transaction(async (tx) => {
    await lockSignInKeys(tx, { addressHash, clientHash });
    const counts = await countSignInRequests(tx, {
      addressHash,
      clientHash,
      since: new Date(now.getTime() - SIGN_IN_WINDOW_MS),
    });
    const full = [
      counts.address.count >= SIGN_IN_LIMIT_PER_ADDRESS ? counts.address : null,
      counts.client.count >= SIGN_IN_LIMIT_PER_CLIENT ? counts.client : null,
    ].filter((c) => c !== null);
    if (full.length > 0) {
      const seconds = Math.max(...full.map((c) => secondsUntilFree(c, now)));
      throw new AppError("rate_limited", { retryAfterSeconds: seconds }, {
        "retry-after": String(seconds),
      });
    }
    return await insertSignInLink(tx, {
      normalizedAddress: address,
      addressHash,
      clientHash,
      tokenHash: tokenHash(token),
      now,
      expiresAt: new Date(now.getTime() + SIGN_IN_LINK_TTL_MS),
      mail,
    });
  });
  logger("SignIn").info("sign-in link requested", {
    address: hashForLog(address),
    client: hashForLog(args.clientAddress),
    outcome: link.mailed ? "queued" : "no_account",
  });
}

/** Whether `token` can be a link's token at all (43 base64url characters); else it is bad input. */
export const isSignInToken = (token: unknown): token is string =>
  typeof token === "string" && TOKEN.test(token);

const tokenOf = (token: unknown) => isSignInToken(token) ? token : null;

/** Whether the link with `token` would log someone in now. Reads only: opening a link uses nothing. */
export async function checkSignInLink(deps: SignInDeps, token: unknown): Promise<boolean> {
  const valid = tokenOf(token);
  if (!valid) return false;
  return await isSignInLinkUsable(deps.db, { tokenHash: tokenHash(valid), now: deps.clock.now() });
}

/**
 * Uses the link with `token` and starts the customer's session, in one
 * transaction. Throws `invalid_link` for a malformed, unknown, used or
 * expired link, or one whose customer no longer has the address it was sent
 * to; nothing changes then.
 */
export async function signInWithLink(
  deps: SignInDeps,
  token: unknown,
): Promise<{ customer: { id: string; name: string }; sessionToken: string; expiresAt: Date }> {
  const valid = tokenOf(token);
  if (!valid) throw new AppError("invalid_link");
  const now = deps.clock.now();
  const login = await deps.db.transaction(async (tx) => {
    const link = await useSignInLink(tx, { tokenHash: tokenHash(valid), now });
    if (!link) throw new AppError("invalid_link");
    const customer = await getCustomer(tx, link.customerId);
    // An admin who changed the address (a lost mailbox) has withdrawn the links sent to the old one.
    if (!customer?.email || tokenHash(normalizeAddress(customer.email)) !== link.addressHash) {
      throw new AppError("invalid_link");
    }
    const session = await startCustomerSession(tx, { customerId: customer.id, now });
    return { customer: { id: customer.id, name: customer.name }, ...session };
  });
  logger("SignIn").info("signed in by link", { customer: hashForLog(login.customer.id) });
  return login;
}
