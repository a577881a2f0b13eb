// Admin: new QR token for a charger (the printed code stops working); a form of the chargers page.
import type { Handlers } from "../../../lib/app_deps.ts";
import { rotateQrToken } from "../../../lib/chargers.ts";
import { AppError, formRefusal } from "../../../lib/errors.ts";
import { chargersPageResponse } from "../../../components/ChargersPage.tsx";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      await rotateQrToken(c.get("deps"), form.chargeBoxId);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The same status as the API: 400 for a malformed id, 404 for an unknown charger.
      return chargersPageResponse(c, formRefusal(error, { chargeBoxId: "Charge box ID" }));
    }
    return c.redirect("/admin/chargers", 303);
  },
};
