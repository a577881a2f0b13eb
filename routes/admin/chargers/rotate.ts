// Admin: new QR token for a charger (the printed code stops working).
import type { Handlers } from "../../../lib/app_deps.ts";
import { rotateQrToken } from "../../../lib/chargers.ts";

export const handler: Handlers = {
  async POST(c) {
    const form = await c.req.parseBody();
    await rotateQrToken(c.get("deps"), String(form.chargeBoxId ?? ""));
    return c.redirect("/admin/chargers", 303);
  },
};
