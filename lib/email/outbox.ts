/**
 * Queues a mail on the transaction of its cause (issue 14 §2), so the change
 * and its mail land together or not at all; the sender (./sender.ts) delivers
 * it later through the email worker. Sign-in links, receipts and operator
 * alerts all come through here (receipts born inside the meter-values
 * statement aside: db/queries/sessions.ts).
 */
import { z } from "zod";
import type { Executor } from "../../db/client.ts";
import { type EmailPurpose, insertEmailMessage } from "../../db/queries/email_messages.ts";

export type { EmailPurpose };

/** A mail as its cause writes it. */
export interface OutgoingEmail {
  /**
   * Deterministic per purpose and cause (`receipt-<transactionPk>`,
   * `alert-<cause>-<hour>`, …): a repeated cause finds the id taken and
   * queues nothing, and the worker mails one id at most once in 24 h.
   */
  id: string;
  purpose: EmailPurpose;
  /** One address. */
  to: string;
  subject: string;
  text: string;
  html?: string;
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).byteLength;

/**
 * The worker's limits (issue 14 §1), checked here so a message it would
 * refuse (400, failed forever) is a bug found at the cause, not a mail lost.
 */
const OutgoingEmailSchema = z.object({
  id: z.string().min(1).max(128),
  purpose: z.enum(["sign_in", "receipt", "alert"]),
  to: z.email().max(320),
  subject: z.string().min(1).max(200).refine((s) => !/[\r\n]/.test(s), "one line"),
  text: z.string().refine((s) => utf8Bytes(s) <= 100_000, "at most 100 KB"),
  html: z.string().refine((s) => utf8Bytes(s) <= 200_000, "at most 200 KB").optional(),
});

/**
 * Queues `message` on `tx` (run it on the cause's transaction), due at `now`.
 * True when queued; false when a message with this id already was (nothing
 * changes then). A message the worker could not accept throws (a bug).
 */
export async function queueEmail(
  tx: Executor,
  message: OutgoingEmail,
  now: Date,
): Promise<boolean> {
  const checked = OutgoingEmailSchema.safeParse(message);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new TypeError(`email ${String(issue.path[0])}: ${issue.message}`);
  }
  const m = checked.data;
  return await insertEmailMessage(tx, {
    id: m.id,
    purpose: m.purpose,
    to: m.to,
    subject: m.subject,
    text: m.text,
    html: m.html ?? null,
    now,
  });
}
