/**
 * Admin accounts: the first admin (from `ADMIN_EMAIL`/`ADMIN_PASSWORD`, the
 * `deno task admin` command, or a one-time setup link), password logins with
 * a per-email limit of five failures in fifteen minutes, and sessions.
 */
import type { Database, Executor } from "../db/client.ts";
import {
  type AdminUser,
  countAdmins,
  deleteAdminSession,
  deleteSetupTokens,
  getAdminByEmail,
  getAdminBySession,
  insertAdmin,
  insertAdminSession,
  insertLoginFailure,
  insertSetupToken,
  isSetupTokenValid,
  listLoginFailures,
  setAdminPassword,
} from "../db/queries/admins.ts";
import type { Clock } from "./clock.ts";
import { AppError } from "./errors.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { newToken, tokenHash } from "./tokens.ts";

export type { AdminUser };

export const MIN_PASSWORD_LENGTH = 12;
export const LOGIN_FAILURE_LIMIT = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;
export const ADMIN_SESSION_TTL_MS = 12 * 3600 * 1000;
export const SETUP_TOKEN_TTL_MS = 24 * 3600 * 1000;

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** A hash to compare against when the email is unknown, so timing does not tell. */
let decoyHash: Promise<string> | undefined;

export function validateNewAdmin(
  args: { email: string; password: string },
): string | null {
  if (!/^[^@\s]+@[^@\s]+$/.test(args.email.trim())) {
    return "Enter a valid email address.";
  }
  if (args.password.length < MIN_PASSWORD_LENGTH) {
    return `Use a password of at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  return null;
}

/** Creates an admin, or sets the password of an existing one. Returns "created" or "updated". */
export async function upsertAdmin(
  deps: { db: Executor; clock: Clock },
  args: { email: string; password: string },
): Promise<"created" | "updated"> {
  const db = deps.db;
  const problem = validateNewAdmin(args);
  if (problem) throw new Error(problem);
  const email = normalizeEmail(args.email);
  const passwordHash = await hashPassword(args.password);
  if (await insertAdmin(db, { email, passwordHash, now: deps.clock.now() })) return "created";
  await setAdminPassword(db, { email, passwordHash });
  return "updated";
}

/**
 * Makes sure an admin can log in after start: creates one from the
 * environment when given, else returns a one-time setup URL if none exists.
 */
export async function prepareFirstAdmin(
  deps: { db: Database; clock: Clock; publicBaseUrl: string },
  env: { email?: string; password?: string },
): Promise<{ setupUrl?: string; created?: string }> {
  if (env.email && env.password) {
    const email = normalizeEmail(env.email);
    if (!await getAdminByEmail(deps.db, email)) {
      await upsertAdmin(deps, { email, password: env.password });
      return { created: email };
    }
    return {};
  }
  if (await countAdmins(deps.db) > 0) return {};
  const token = newToken(24);
  await insertSetupToken(deps.db, {
    tokenHash: tokenHash(token),
    expiresAt: new Date(deps.clock.now().getTime() + SETUP_TOKEN_TTL_MS),
  });
  return { setupUrl: `${deps.publicBaseUrl}/admin/setup?token=${token}` };
}

export function checkSetupToken(
  deps: { db: Database; clock: Clock },
  token: string,
): Promise<boolean> {
  return isSetupTokenValid(deps.db, {
    tokenHash: tokenHash(token),
    now: deps.clock.now(),
  });
}

/** Creates the first admin through a setup link; the link (and any other) dies with it. */
export async function completeSetup(
  deps: { db: Database; clock: Clock },
  args: { token: string; email: string; password: string },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const valid = await isSetupTokenValid(tx, {
      tokenHash: tokenHash(args.token),
      now: deps.clock.now(),
    });
    if (!valid || await countAdmins(tx) > 0) {
      throw new AppError("not_found");
    }
    await upsertAdmin({ db: tx, clock: deps.clock }, args);
    await deleteSetupTokens(tx);
  });
}

/**
 * Checks a password login. Five failures for one email within fifteen
 * minutes answer 429 (with Retry-After) for the rest of that window, even
 * for the right password.
 */
export async function loginAdmin(
  deps: { db: Database; clock: Clock },
  args: { email: string; password: string },
): Promise<{ admin: AdminUser; sessionToken: string; expiresAt: Date }> {
  const email = normalizeEmail(args.email);
  const now = deps.clock.now();
  const failures = await listLoginFailures(deps.db, {
    email,
    since: new Date(now.getTime() - LOGIN_FAILURE_WINDOW_MS),
  });
  if (failures.length >= LOGIN_FAILURE_LIMIT) {
    const reopensAt = failures[failures.length - LOGIN_FAILURE_LIMIT].getTime() +
      LOGIN_FAILURE_WINDOW_MS;
    const seconds = Math.max(1, Math.ceil((reopensAt - now.getTime()) / 1000));
    throw new AppError("rate_limited", { retryAfterSeconds: seconds }, {
      "retry-after": String(seconds),
    });
  }
  const admin = await getAdminByEmail(deps.db, email);
  const ok = admin ? await verifyPassword(args.password, admin.passwordHash) : await verifyPassword(
    args.password,
    await (decoyHash ??= hashPassword(newToken())),
  );
  if (!admin || !ok) {
    await insertLoginFailure(deps.db, { email, failedAt: now });
    throw new AppError("unauthorized");
  }
  const sessionToken = newToken(32);
  const expiresAt = new Date(now.getTime() + ADMIN_SESSION_TTL_MS);
  await insertAdminSession(deps.db, {
    tokenHash: tokenHash(sessionToken),
    adminId: admin.id,
    expiresAt,
    now,
  });
  return { admin, sessionToken, expiresAt };
}

export function getAdminForSession(
  deps: { db: Database; clock: Clock },
  sessionToken: string,
): Promise<AdminUser | null> {
  return getAdminBySession(deps.db, {
    tokenHash: tokenHash(sessionToken),
    now: deps.clock.now(),
  });
}

export function logoutAdmin(db: Database, sessionToken: string): Promise<void> {
  return deleteAdminSession(db, tokenHash(sessionToken));
}
