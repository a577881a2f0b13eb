/**
 * Domain errors. Routes and lib/ throw these; `app.ts` maps every one to its
 * status and JSON body in one place. Driver and SDK messages never reach a client.
 */
export type ErrorCode =
  | "invalid_body"
  | "invalid_json"
  | "payload_too_large"
  | "unauthorized"
  | "internal"
  | "disabled"
  | "unknown_charger"
  | "charger_busy"
  | "rate_limited"
  | "unknown_pair"
  | "not_matched"
  | "not_cancellable"
  | "unknown_tag"
  | "not_found"
  | "forbidden"
  | "too_many_streams";

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    /** Extra JSON fields for the client (e.g. the invalid `field`). */
    readonly details: Record<string, unknown> = {},
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
    this.name = "AppError";
  }
}

export const invalidBody = (field?: string, message?: string) =>
  new AppError(400, "invalid_body", {
    ...(field ? { field } : {}),
    ...(message ? { message } : {}),
  });
