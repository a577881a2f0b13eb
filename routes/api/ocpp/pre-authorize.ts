// SteVe's pre-authorize hook: verify, then steal-or-match (lib/pre_authorize.ts).
import type { Handlers } from "../../../lib/app_deps.ts";
import { preAuthorize } from "../../../lib/pre_authorize.ts";
import { verifySignedRequest } from "../../../lib/signed_request.ts";

export const handler: Handlers = {
  async POST(c) {
    const services = c.get("services");
    const body = await verifySignedRequest(
      services.preAuthorizeHook,
      c.req.raw,
      (key) => c.set("signingKey", key),
    );
    const override = await preAuthorize(services.preAuthorize, body);
    return c.json({ override });
  },
};
