// Admin: give a partner a new secret, now or with a grace window for the old one.
import { z } from "zod";
import type { Handlers } from "../../../../../lib/app_deps.ts";
import { readJsonBody } from "../../../../../lib/http/json_body.ts";
import { rotatePartnerSecret, toPartnerView } from "../../../../../lib/partners.ts";

/** Any JSON object; its fields are checked by `rotatePartnerSecret`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async POST(c) {
    const deps = c.get("services").partners;
    const body = await readJsonBody(c.req.raw, JsonObject);
    const { partner, secret } = await rotatePartnerSecret(deps, c.req.param("id"), body);
    const { previousSecretValidUntil } = toPartnerView(deps, partner);
    return c.json({ secret, previousSecretValidUntil });
  },
};
