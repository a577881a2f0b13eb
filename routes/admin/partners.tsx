// Admin: partners, and creating one; the new secret is shown once, on this POST's answer.
import type { Handlers } from "../../lib/app_deps.ts";
import { AppError, formRefusal } from "../../lib/errors.ts";
import { createPartner, toPartnerView, webhookFormFields } from "../../lib/partners.ts";
import { partnersPageResponse } from "../../components/PartnersPage.tsx";

const LABELS = {
  name: "Name",
  signatureScheme: "Signature scheme",
  signatureHeader: "Header",
  url: "Webhook URL",
  events: "Events",
};

export const handler: Handlers = {
  GET: (c) => partnersPageResponse(c),
  async POST(c) {
    const form = await c.req.parseBody({ all: true });
    const deps = c.get("services").partners;
    try {
      const { partner, secret } = await createPartner(deps, {
        name: form.name,
        signatureScheme: form.signatureScheme || undefined,
        // An empty header field means "the default".
        signatureHeader: form.signatureHeader || undefined,
        ...webhookFormFields(form),
      });
      return await partnersPageResponse(c, {
        created: { partner: toPartnerView(deps, partner), secret },
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return partnersPageResponse(c, { refusal: formRefusal(error, LABELS) });
    }
  },
};
