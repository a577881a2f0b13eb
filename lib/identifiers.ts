/** Shapes of the identifiers ExpresSync accepts. */
import { z } from "zod";

/** chargeBoxId / idTag: a string, non-empty after trimming, at most 255 characters. */
export const ocppIdentifier = z.string()
  .max(255, "must be at most 255 characters")
  .refine((s) => s.trim().length > 0, "must not be empty");

/** OCPP connector number (0 is the charger itself). */
export const connectorId = z.number().int().min(0);

/** Operator-chosen customer ids: short and URL-safe. */
export const customerId = z.string().regex(
  /^[A-Za-z0-9._-]{1,64}$/,
  "must be 1-64 characters of A-Z a-z 0-9 . _ -",
);
