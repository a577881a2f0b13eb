// Admin: chargers with their QR codes; add or rename one (the rules: lib/chargers.ts).
import type { Handlers } from "../../lib/app_deps.ts";
import { saveCharger } from "../../lib/chargers.ts";
import { AppError, formRefusal } from "../../lib/errors.ts";
import { chargersPageResponse } from "../../components/ChargersPage.tsx";

const LABELS = { chargeBoxId: "Charge box ID", name: "Name" };

export const handler: Handlers = {
  GET: (c) => chargersPageResponse(c),
  async POST(c) {
    const form = await c.req.parseBody();
    try {
      // An empty name field means "no name".
      await saveCharger(c.get("deps"), {
        chargeBoxId: form.chargeBoxId,
        name: form.name === "" || form.name === undefined ? null : form.name,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      return chargersPageResponse(c, formRefusal(error, LABELS));
    }
    return c.redirect("/admin/chargers", 303);
  },
};
