/** Input validation shared by lib/ and the HTTP layer: zod failures become `invalid_body`. */
import type { z } from "zod";
import { invalidBody } from "./errors.ts";

/** Validates `value`; a failure is 400 `invalid_body` naming the first offending field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidBody(issue.path.join(".") || undefined, issue.message);
}
