// SteVe's meter-values hook: verify, store, publish (lib/meter_values.ts).
import type { Handlers } from "../../../lib/app_deps.ts";
import { ingestMeterValues } from "../../../lib/meter_values.ts";
import { verifySignedRequest } from "../../../lib/signed_request.ts";

export const handler: Handlers = {
  async POST(c) {
    const services = c.get("services");
    const body = await verifySignedRequest(
      services.meterValuesHook,
      c.req.raw,
      (key) => c.set("signingKey", key),
    );
    await ingestMeterValues(services.meterValues, body);
    return c.json({ ok: true });
  },
};
