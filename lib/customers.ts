/**
 * Customers and the cards (tags) linked to them: the rules the admin page and
 * `PUT /api/admin/customers/:id` / `PUT /api/admin/tags/:idTag` share. Both
 * call these functions; only the reading of the input and the rendering of the
 * outcome differ.
 */
import { z } from "zod";
import type { Database } from "../db/client.ts";
import {
  type Customer,
  type CustomerWithTags,
  getCustomer,
  listCustomersWithTags,
  type Tag,
  upsertCustomer,
  upsertTag,
} from "../db/queries/customers.ts";
import { requeueBillableEvents } from "../db/queries/usage_events.ts";
import type { Clock } from "./clock.ts";
import { invalidBody } from "./errors.ts";
import { customerId, ocppIdentifier } from "./identifiers.ts";
import { parseWith } from "./validation.ts";
import { newToken } from "./tokens.ts";

export type { Customer, CustomerWithTags, Tag };

/** What saving or linking needs: the database and the clock that stamps the rows. */
export interface CustomerDeps {
  db: Database;
  clock: Clock;
}

/**
 * A customer as an admin saves it. `email` omitted or null clears it;
 * `lagoSubscriptionId` omitted keeps the stored one, null clears it (an empty
 * string is refused, so a typo cannot silently stop billing).
 */
export const CustomerInput = z.object({
  /** Absent: a new customer with a generated id. */
  id: customerId.optional(),
  name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  email: z.string().trim().max(320, "must be at most 320 characters")
    .pipe(z.email("must be a valid email address")).nullable().optional(),
  /** Lago `external_subscription_id` this customer's charging is billed to. */
  lagoSubscriptionId: z.string().trim().min(1, "must not be empty")
    .max(255, "must be at most 255 characters").nullable().optional(),
});

/** A card link: `customerId` null unlinks the card. */
export const TagLinkInput = z.object({
  idTag: ocppIdentifier,
  customerId: customerId.nullable(),
});

/** What the admin API answers for a customer. */
export interface CustomerView {
  id: string;
  name: string;
  email: string | null;
  lagoSubscriptionId: string | null;
}

export function toCustomerView(customer: Customer): CustomerView {
  return {
    id: customer.id,
    name: customer.name,
    email: customer.email,
    lagoSubscriptionId: customer.lagoSubscriptionId,
  };
}

/**
 * Creates or updates a customer from `input` (checked against
 * {@link CustomerInput}). Throws `invalid_body` naming the field; writes
 * nothing then.
 */
export async function saveCustomer(deps: CustomerDeps, input: unknown): Promise<Customer> {
  const { id, name, email, lagoSubscriptionId } = parseWith(CustomerInput, input);
  const now = deps.clock.now();
  // One transaction: usage events waiting for this subscription return to the queue with it.
  return await deps.db.transaction(async (tx) => {
    const customer = await upsertCustomer(tx, {
      id: id ?? `c-${newToken(6)}`,
      name,
      email: email ?? null,
      lagoSubscriptionId,
      now,
    });
    if (customer.lagoSubscriptionId !== null) {
      await requeueBillableEvents(tx, { customerId: customer.id, now });
    }
    return customer;
  });
}

/**
 * Links a card to a customer, or unlinks it (`customerId: null`); open
 * sessions of the card follow. An unknown customer is `invalid_body` on field
 * `customerId` (the API's documented answer; the page shows its message).
 */
export async function linkTag(deps: CustomerDeps, input: unknown): Promise<Tag> {
  const link = parseWith(TagLinkInput, input);
  // One transaction: the existence check, the tag, its open sessions and the usage events
  // waiting for this link land together.
  return await deps.db.transaction(async (tx) => {
    if (link.customerId !== null && !await getCustomer(tx, link.customerId)) {
      throw invalidBody("customerId", "no such customer");
    }
    const now = deps.clock.now();
    const tag = await upsertTag(tx, { ...link, now });
    if (link.customerId !== null) await requeueBillableEvents(tx, { idTag: link.idTag, now });
    return tag;
  });
}

/** Every customer with the cards linked to it, by name: what the customers page lists. */
export function listCustomers(deps: { db: Database }): Promise<CustomerWithTags[]> {
  return listCustomersWithTags(deps.db);
}

/** The customer with this id, or null (an invalid id is `invalid_body`). */
export async function findCustomer(
  deps: { db: Database },
  id: unknown,
): Promise<Customer | null> {
  return await getCustomer(deps.db, parseWith(customerId, id));
}
