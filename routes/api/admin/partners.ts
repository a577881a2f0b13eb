// Admin: list partners, or create one; the create's answer is the only one carrying its secret.
import { z } from "zod";
import type { Handlers } from "../../../lib/app_deps.ts";
import { readJsonBody } from "../../../lib/http/json_body.ts";
import { createPartner, listAllPartners, toPartnerView } from "../../../lib/partners.ts";

/** Any JSON object; its fields are checked by `createPartner`. */
const JsonObject = z.record(z.string(), z.unknown());

export const handler: Handlers = {
  async GET(c) {
    const deps = c.get("services").partners;
    const partners = await listAllPartners(deps);
    return c.json({ partners: partners.map((p) => toPartnerView(deps, p)) });
  },
  async POST(c) {
    const deps = c.get("services").partners;
    const body = await readJsonBody(c.req.raw, JsonObject);
    const { partner, secret } = await createPartner(deps, body);
    return c.json({ ...toPartnerView(deps, partner), secret }, 201);
  },
};
