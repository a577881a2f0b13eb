// Admin: new QR token for a charger (the printed code stops working); a form of the chargers page.
import type { Handlers } from "../../../lib/app_deps.ts";
import { rotateQrToken } from "../../../lib/chargers.ts";
import { AppError, formMessage } from "../../../lib/errors.ts";
import { chargersPageResponse } from "../../../components/ChargersPage.tsx";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      await rotateQrToken(c.get("deps"), form.chargeBoxId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The same outcome as the API: 400 for a malformed id, 404 for an unknown charger.
      const status = error.code === "not_found" ? 404 : 400;
      return chargersPageResponse(c, {
        error: formMessage(error, { chargeBoxId: "Charge box ID" }),
        status,
      });
    }
    return c.redirect("/admin/chargers", 303);
  },
};
