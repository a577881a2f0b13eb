/** Dead-lettered usage events: what an admin may do with them (page and API alike). */
import { z } from "zod";
import type { Executor } from "../../db/client.ts";
import { retryDeadEvents } from "../../db/queries/usage_events.ts";
import type { Clock } from "../clock.ts";
import { parseWith } from "../validation.ts";

/** Which dead letters to retry: the given ids, or every one when `ids` is absent. */
export const RetryInput = z.object({
  ids: z.array(z.number().int().positive()).max(1000).optional(),
});

/**
 * Puts dead-lettered events (all, or `ids`) back in the queue, due now by the
 * injected clock; answers how many. Throws `invalid_body` naming the field.
 */
export async function retryDeadLetters(
  deps: { db: Executor; clock: Clock },
  input: unknown,
): Promise<{ retried: number }> {
  const { ids } = parseWith(RetryInput, input);
  return { retried: await retryDeadEvents(deps.db, { ids, now: deps.clock.now() }) };
}
