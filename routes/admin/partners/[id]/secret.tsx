// Admin: regenerate a partner's secret from its page; the new one is shown once, on this answer.
import type { Handlers } from "../../../../lib/app_deps.ts";
import { AppError, formRefusal } from "../../../../lib/errors.ts";
import { rotatePartnerSecret, toPartnerView } from "../../../../lib/partners.ts";
import { partnerPageResponse } from "../../../../components/PartnerPage.tsx";

const LABELS = { mode: "Regenerate", graceSeconds: "Grace window" };

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    const deps = c.get("services").partners;
    try {
      const { partner, secret } = await rotatePartnerSecret(deps, c.req.param("id"), {
        mode: form.mode,
        // Only a grace rotation reads the window; the select sends whole seconds.
        ...(form.mode === "grace" ? { graceSeconds: Number(form.graceSeconds) } : {}),
      });
      const { previousSecretValidUntil } = toPartnerView(deps, partner);
      return await partnerPageResponse(c, { rotated: { secret, previousSecretValidUntil } });
    } catch (error) {
      if (!(error instanceof AppError) || error.code === "not_found") throw error;
      return partnerPageResponse(c, { refusal: formRefusal(error, LABELS) });
    }
  },
};
