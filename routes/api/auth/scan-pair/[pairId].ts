// A scan-pair's status, and its cancellation; only for the browser that armed it.
import type { Handlers } from "../../../../lib/app_deps.ts";
import { browserHash } from "../../../../lib/http/cookies.ts";
import { cancelScanPair, effectiveStatus, getOwnPair } from "../../../../lib/scan_pairs.ts";

export const handler: Handlers = {
  async GET(c) {
    const { scanPairs } = c.get("services");
    const pair = await getOwnPair(scanPairs, {
      pairId: c.req.param("pairId")!,
      browserHash: browserHash(c),
    });
    return c.json({ status: effectiveStatus(pair, scanPairs.clock.now()) });
  },
  async DELETE(c) {
    const status = await cancelScanPair(c.get("services").scanPairs, {
      pairId: c.req.param("pairId")!,
      browserHash: browserHash(c),
    });
    return c.json({ status });
  },
};
