// Hubject's Plug&Charge webhooks: verify (lib/signed_request.ts), store once (lib/pnc/events.ts).
import type { Handlers } from "../../../lib/app_deps.ts";
import { receivePncEvent } from "../../../lib/pnc/events.ts";
import { verifySignedRequest } from "../../../lib/signed_request.ts";

export const handler: Handlers = {
  async POST(c) {
    const services = c.get("services");
    const body = await verifySignedRequest(
      services.pncHook,
      c.req.raw,
      (key) => c.set("signingKey", key),
    );
    return c.json(await receivePncEvent(services.pnc, body));
  },
};
