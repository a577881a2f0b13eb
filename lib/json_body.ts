/** Reads a JSON request body against a schema: 400 invalid_json / invalid_body naming the field. */
import type { z } from "zod";
import { AppError, invalidBody } from "./errors.ts";

export const MAX_JSON_BODY_BYTES = 64 * 1024;

export async function readJsonBody<T>(
  request: Request,
  schema: z.ZodType<T>,
): Promise<T> {
  const text = await request.text().catch(() => {
    throw invalidBody();
  });
  if (text.length > MAX_JSON_BODY_BYTES) {
    throw new AppError("payload_too_large");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError("invalid_json");
  }
  return parseWith(schema, json);
}

/** Validates `value`; a failure names the first offending field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw invalidBody(issue.path.join(".") || undefined, issue.message);
}
