// Logs the browser in as the owner of the tag that matched its scan-pair.
import { z } from "zod";
import type { Handlers } from "../../../lib/app_deps.ts";
import {
  browserHash,
  CUSTOMER_SESSION_COOKIE,
  setSessionCookie,
} from "../../../lib/http/cookies.ts";
import { readJsonBody } from "../../../lib/http/json_body.ts";
import { loginWithScanPair } from "../../../lib/scan_pairs.ts";

const LoginBody = z.object({ pairId: z.string().max(64) });

export const handler: Handlers = {
  async POST(c) {
    const { pairId } = await readJsonBody(c.req.raw, LoginBody);
    const login = await loginWithScanPair(c.get("services").scanPairs, {
      pairId,
      browserHash: browserHash(c),
    });
    setSessionCookie(c, CUSTOMER_SESSION_COOKIE, login.sessionToken, login.expiresAt);
    return c.json({ customer: login.customer });
  },
};
