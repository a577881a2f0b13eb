// SSE of one scan-pair: `matched`, `expired`, `cancelled`, heartbeats.
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { browserHash } from "../../../../../lib/http/cookies.ts";
import { getOwnPair, scanPairEventStream } from "../../../../../lib/scan_pairs.ts";

export const handler: Handlers = {
  async GET(c) {
    const { scanPairs } = c.get("services");
    const pair = await getOwnPair(scanPairs, {
      pairId: c.req.param("pairId")!,
      browserHash: browserHash(c),
    });
    return scanPairEventStream(scanPairs, {
      pair,
      signal: c.req.raw.signal,
      closing: c.get("deps").closing,
      heartbeatMs: c.get("deps").sseHeartbeatMs,
    });
  },
};
