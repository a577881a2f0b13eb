/** Customers, their tags, and their browser sessions. */
import { and, eq, gt, sql } from "drizzle-orm";
import type { Executor } from "../client.ts";
import {
  type CustomerRow,
  customers,
  customerSessions,
  liveSessions,
  type TagRow,
  tags,
} from "../schema.ts";

export type Customer = CustomerRow;
export type Tag = TagRow;

/** Creates or updates a customer; an undefined `lagoSubscriptionId` keeps the stored one. */
export async function upsertCustomer(
  db: Executor,
  args: {
    id: string;
    name: string;
    email: string | null;
    lagoSubscriptionId?: string | null;
    now: Date;
  },
): Promise<Customer> {
  const { now, ...fields } = args;
  const [row] = await db.orm.insert(customers)
    .values({ ...fields, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: customers.id,
      set: {
        name: args.name,
        email: args.email,
        ...(args.lagoSubscriptionId === undefined
          ? {}
          : { lagoSubscriptionId: args.lagoSubscriptionId }),
        updatedAt: now,
      },
    })
    .returning();
  return row;
}

export async function getCustomer(
  db: Executor,
  id: string,
): Promise<Customer | null> {
  const [row] = await db.orm.select().from(customers).where(
    eq(customers.id, id),
  );
  return row ?? null;
}

/**
 * Links a tag to a customer (or unlinks it with null). Open sessions of that
 * tag follow, so a card linked mid-session shows on its owner's view.
 */
export async function upsertTag(
  db: Executor,
  args: { idTag: string; customerId: string | null; now: Date },
): Promise<Tag> {
  const [row] = await db.orm.insert(tags)
    .values({
      idTag: args.idTag,
      customerId: args.customerId,
      createdAt: args.now,
      updatedAt: args.now,
    })
    .onConflictDoUpdate({
      target: tags.idTag,
      set: { customerId: args.customerId, updatedAt: args.now },
    })
    .returning();
  await db.orm.update(liveSessions)
    .set({ customerId: args.customerId })
    .where(
      and(
        eq(liveSessions.idTag, args.idTag),
        sql`${liveSessions.endedAt} is null`,
      ),
    );
  return row;
}

export async function insertCustomerSession(
  db: Executor,
  args: { tokenHash: string; customerId: string; expiresAt: Date; now: Date },
): Promise<void> {
  const { now, ...row } = args;
  await db.orm.insert(customerSessions).values({ ...row, createdAt: now });
}

export async function getCustomerBySessionToken(
  db: Executor,
  args: { tokenHash: string; now: Date },
): Promise<Customer | null> {
  const [row] = await db.orm.select({ customer: customers })
    .from(customerSessions)
    .innerJoin(customers, eq(customers.id, customerSessions.customerId))
    .where(and(
      eq(customerSessions.tokenHash, args.tokenHash),
      gt(customerSessions.expiresAt, args.now),
    ));
  return row?.customer ?? null;
}

export async function deleteCustomerSession(
  db: Executor,
  tokenHash: string,
): Promise<void> {
  await db.orm.delete(customerSessions).where(
    eq(customerSessions.tokenHash, tokenHash),
  );
}

export interface CustomerWithTags extends Customer {
  tags: string[];
}

export async function listCustomersWithTags(
  db: Executor,
): Promise<CustomerWithTags[]> {
  const rows = await db.orm.select().from(customers).orderBy(customers.name);
  const links = await db.orm.select().from(tags);
  return rows.map((c) => ({
    ...c,
    tags: links.filter((t) => t.customerId === c.id).map((t) => t.idTag).sort(),
  }));
}
