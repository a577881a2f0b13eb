// Arms a scan-pair for the charger whose QR code the customer scanned.
import { z } from "zod";
import type { Handlers } from "../../../lib/app_deps.ts";
import { clientAddress } from "../../../lib/http/client_address.ts";
import { ensureBrowserHash } from "../../../lib/http/cookies.ts";
import { AppError } from "../../../lib/errors.ts";
import { readJsonBody } from "../../../lib/http/json_body.ts";
import { ocppIdentifier } from "../../../lib/identifiers.ts";
import { armScanPair } from "../../../lib/scan_pairs.ts";

const ArmBody = z.object({
  chargeBoxId: ocppIdentifier,
  k: z.string().max(512).optional(),
});

export const handler: Handlers = {
  async POST(c) {
    const { config, scanPairRateLimiter } = c.get("deps");
    // Counted before anything else, so guessing QR tokens is limited too; across all instances.
    const limit = await scanPairRateLimiter.hit(clientAddress(c, config.trustProxy));
    if (!limit.allowed) {
      throw new AppError("rate_limited", {}, {
        "retry-after": String(limit.retryAfterSeconds),
      });
    }
    const body = await readJsonBody(c.req.raw, ArmBody);
    const { pair, created } = await armScanPair(c.get("services").scanPairs, {
      chargeBoxId: body.chargeBoxId,
      qrToken: body.k ?? "",
      browserHash: ensureBrowserHash(c),
    });
    return c.json(pair, created ? 201 : 200);
  },
};
