/** Reads a JSON request body against a schema: 400 invalid_json / invalid_body naming the field. */
import type { z } from "zod";
import { AppError } from "../errors.ts";
import { parseWith } from "../validation.ts";
import { BODY_LIMITS, readBoundedBody } from "./request_body.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Parses the body (at most `limit` bytes, else 413) and validates it. */
export async function readJsonBody<T>(
  request: Request,
  schema: z.ZodType<T>,
  limit: number = BODY_LIMITS.json,
): Promise<T> {
  const bytes = await readBoundedBody(request, limit);
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new AppError("invalid_json");
  }
  return parseWith(schema, json);
}
