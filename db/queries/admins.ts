/** Admin users, their sessions, failed logins and first-admin setup tokens. */
import { and, count, eq, gt, lt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import {
  adminSessions,
  type AdminUserRow,
  adminUsers,
  customerSessions,
  loginFailures,
  setupTokens,
} from "../schema.ts";

export type AdminUser = AdminUserRow;

export async function countAdmins(db: Executor): Promise<number> {
  const [row] = await db.orm.select({ n: count() }).from(adminUsers);
  return Number(row.n);
}

/** Inserts the admin unless the email exists; returns whether it was created. */
export async function insertAdmin(
  db: Executor,
  args: { email: string; passwordHash: string; now: Date },
): Promise<boolean> {
  const rows = await db.orm.insert(adminUsers)
    .values({ email: args.email, passwordHash: args.passwordHash, createdAt: args.now })
    .onConflictDoNothing().returning({
      id: adminUsers.id,
    });
  return rows.length > 0;
}

export async function setAdminPassword(
  db: Executor,
  args: { email: string; passwordHash: string },
): Promise<boolean> {
  const rows = await db.orm.update(adminUsers).set({
    passwordHash: args.passwordHash,
  })
    .where(eq(adminUsers.email, args.email)).returning({ id: adminUsers.id });
  return rows.length > 0;
}

export async function getAdminByEmail(
  db: Executor,
  email: string,
): Promise<AdminUser | null> {
  const [row] = await db.orm.select().from(adminUsers).where(
    eq(adminUsers.email, email),
  );
  return row ?? null;
}

export async function insertAdminSession(
  db: Executor,
  args: { tokenHash: string; adminId: number; expiresAt: Date; now: Date },
): Promise<void> {
  const { now, ...row } = args;
  await db.orm.insert(adminSessions).values({ ...row, createdAt: now });
}

export async function getAdminBySession(
  db: Executor,
  args: { tokenHash: string; now: Date },
): Promise<AdminUser | null> {
  const [row] = await db.orm.select({ admin: adminUsers }).from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.adminId))
    .where(
      and(
        eq(adminSessions.tokenHash, args.tokenHash),
        gt(adminSessions.expiresAt, args.now),
      ),
    );
  return row?.admin ?? null;
}

export async function deleteAdminSession(
  db: Executor,
  tokenHash: string,
): Promise<void> {
  await db.orm.delete(adminSessions).where(
    eq(adminSessions.tokenHash, tokenHash),
  );
}

/** Times of this email's failed logins since `since`, oldest first. */
export async function listLoginFailures(
  db: Executor,
  args: { email: string; since: Date },
): Promise<Date[]> {
  const rows = await db.orm.select({ at: loginFailures.failedAt }).from(
    loginFailures,
  )
    .where(
      and(
        eq(loginFailures.email, args.email),
        gt(loginFailures.failedAt, args.since),
      ),
    )
    .orderBy(loginFailures.failedAt);
  return rows.map((r) => r.at);
}

export async function insertLoginFailure(
  db: Executor,
  args: { email: string; failedAt: Date },
): Promise<void> {
  await db.orm.insert(loginFailures).values(args);
}

export async function pruneLoginFailures(
  db: Executor,
  before: Date,
): Promise<void> {
  await db.orm.delete(loginFailures).where(lt(loginFailures.failedAt, before));
}

export async function insertSetupToken(
  db: Executor,
  args: { tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.orm.insert(setupTokens).values(args);
}

export async function isSetupTokenValid(
  db: Executor,
  args: { tokenHash: string; now: Date },
): Promise<boolean> {
  const [row] = await db.orm.select({ n: count() }).from(setupTokens)
    .where(
      and(
        eq(setupTokens.tokenHash, args.tokenHash),
        gt(setupTokens.expiresAt, args.now),
      ),
    );
  return Number(row.n) > 0;
}

/** Deletes every setup token: once an admin exists none may be used. */
export async function deleteSetupTokens(db: Executor): Promise<void> {
  await db.orm.delete(setupTokens).where(sql`true`);
}

/** Deletes expired admin and customer sessions. */
export async function pruneExpiredSessions(db: Executor, now: Date): Promise<void> {
  await db.orm.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
  await db.orm.delete(customerSessions).where(lt(customerSessions.expiresAt, now));
}
