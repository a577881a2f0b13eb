// Admin: one partner's page; its settings form posts here.
import type { Handlers } from "../../../lib/app_deps.ts";
import { AppError, formRefusal } from "../../../lib/errors.ts";
import { changePartner, webhookFormFields } from "../../../lib/partners.ts";
import { partnerPageResponse } from "../../../components/PartnerPage.tsx";

const LABELS = {
  name: "Name",
  signatureHeader: "Signature header",
  active: "Status",
  url: "Webhook URL",
  events: "Events",
};

/** The status select sends "true"/"false"; anything else goes to the rules as is (and is refused). */
const flag = (value: unknown) => value === "true" ? true : value === "false" ? false : value;

export const handler: Handlers = {
  GET(c) {
    // Where a Retry form lands: `?retried=n` says how many went again (digits only, else ignored).
    const retried = c.req.query("retried");
    return partnerPageResponse(
      c,
      /^[0-9]{1,6}$/.test(retried ?? "") ? { retried: Number(retried) } : {},
    );
  },
  async POST(c) {
    const form = await c.req.parseBody({ all: true });
    const id = c.req.param("id");
    try {
      await changePartner(c.get("services").partners, id, {
        name: form.name,
        signatureHeader: form.signatureHeader,
        active: flag(form.active),
        ...webhookFormFields(form),
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.code === "not_found") throw error;
      return partnerPageResponse(c, { refusal: formRefusal(error, LABELS) });
    }
    return c.redirect(`/admin/partners/${id}`, 303);
  },
};
