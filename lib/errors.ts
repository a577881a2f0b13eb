/**
 * Domain errors. Routes and lib/ throw these by code; `routes/_app.ts` turns
 * every one into its status (from {@link ERROR_STATUS}, the one table) and JSON
 * body. Driver and SDK messages never reach a client.
 */

/**
 * Every error code a client can see, and its HTTP status. docs/api.md
 * documents each pairing; change them there and here together.
 */
export const ERROR_STATUS = {
  invalid_body: 400,
  invalid_json: 400,
  blocked_destination: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_charger: 404,
  unknown_pair: 404,
  unknown_tag: 404,
  unknown_partner: 404,
  method_not_allowed: 405,
  charger_busy: 409,
  not_matched: 409,
  not_cancellable: 409,
  inactive_partner: 410,
  invalid_link: 410,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_streams: 429,
  internal: 500,
  disabled: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** An error a client may see: its code decides the status. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    /** Extra JSON fields for the client (e.g. the invalid `field`). */
    readonly details: Record<string, unknown> = {},
    /** Extra response headers (e.g. `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
    this.name = "AppError";
  }

  /** The HTTP status of {@link code}, from {@link ERROR_STATUS}. */
  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

/** `400 invalid_body`, naming the offending field and why when known. */
export const invalidBody = (field?: string, message?: string) =>
  new AppError("invalid_body", {
    ...(field ? { field } : {}),
    ...(message ? { message } : {}),
  });

/**
 * What a form page shows for a rejected input: `"<label>: <why>"` for an
 * invalid field (labels name the form's fields as the page shows them), else a
 * sentence per code. Pages call the same lib functions as the API and render
 * this instead of the JSON body.
 */
/** A form the app refused: what the page shows, with the status the API would answer. */
export interface FormRefusal {
  message: string;
  status: ErrorStatus;
}

/** The page-side refusal for `error`: its message, and its status from the one table. */
export function formRefusal(
  error: AppError,
  labels: Record<string, string> = {},
): FormRefusal {
  return { message: formMessage(error, labels), status: ERROR_STATUS[error.code] };
}

export function formMessage(
  error: AppError,
  labels: Record<string, string> = {},
): string {
  if (error.code === "invalid_body") {
    const field = typeof error.details.field === "string" ? error.details.field : "";
    const why = typeof error.details.message === "string" ? error.details.message : "is invalid";
    return `${labels[field] ?? "Check the form"}: ${why}.`;
  }
  return FORM_MESSAGES[error.code] ?? "That did not work: try again.";
}

const FORM_MESSAGES: Partial<Record<ErrorCode, string>> = {
  not_found: "Not found: it may have been removed.",
  blocked_destination:
    "Webhook URL: refused; use an absolute https: URL without a user name or password.",
  unknown_charger: "No such charger: it may have been removed.",
};
