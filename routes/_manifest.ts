// Every route and the module that answers it. Paths mirror the files under routes/.
import type { Handlers } from "../lib/app_deps.ts";
import * as adminBilling from "./api/admin/billing.ts";
import * as adminBillingRetry from "./api/admin/billing/retry.ts";
import * as adminBillingSweep from "./api/admin/billing/sweep.ts";
import * as adminChargers from "./api/admin/chargers.ts";
import * as adminCharger from "./api/admin/chargers/[chargeBoxId].ts";
import * as adminChargerRotateQr from "./api/admin/chargers/[chargeBoxId]/rotate-qr.ts";
import * as adminCustomer from "./api/admin/customers/[id].ts";
import * as adminFlagPreAuthorize from "./api/admin/flags/pre-authorize.ts";
import * as adminEmail from "./api/admin/email.ts";
import * as adminEmailRetry from "./api/admin/email/retry.ts";
import * as adminHooks from "./api/admin/hooks.ts";
import * as adminPartners from "./api/admin/partners.ts";
import * as adminPartner from "./api/admin/partners/[id].ts";
import * as adminPartnerEvents from "./api/admin/partners/[id]/events.ts";
import * as adminPartnerSecret from "./api/admin/partners/[id]/secret.ts";
import * as adminPartnerDeliveries from "./api/admin/partners/[id]/deliveries.ts";
import * as adminPartnerDeliveriesRetry from "./api/admin/partners/[id]/deliveries/retry.ts";
import * as adminPartnerPing from "./api/admin/partners/[id]/ping.ts";
import * as adminPncEvents from "./api/admin/pnc/events.ts";
import * as adminPncEventAcknowledge from "./api/admin/pnc/events/[id]/acknowledge.ts";
import * as adminLiveSessions from "./api/admin/sessions/live.ts";
import * as adminLiveSessionEvents from "./api/admin/sessions/live/events.ts";
import * as meEvents from "./api/me/events.ts";
import * as adminTag from "./api/admin/tags/[idTag].ts";
import * as scanLogin from "./api/auth/scan-login.ts";
import * as scanPair from "./api/auth/scan-pair.ts";
import * as scanPairById from "./api/auth/scan-pair/[pairId].ts";
import * as scanPairEvents from "./api/auth/scan-pair/[pairId]/events.ts";
import * as meterValues from "./api/ocpp/meter-values.ts";
import * as preAuthorize from "./api/ocpp/pre-authorize.ts";
import * as partnerEventsIn from "./api/partners/[partnerId]/events.ts";
import * as pncWebhooks from "./api/pnc/webhooks.ts";
import * as health from "./health.ts";
import * as home from "./index.tsx";
import * as adminBillingPage from "./admin/billing.tsx";
import * as adminBillingPageRetry from "./admin/billing/retry.ts";
import * as adminBillingPageSweep from "./admin/billing/sweep.ts";
import * as adminChargersPage from "./admin/chargers.tsx";
import * as adminChargersPrint from "./admin/chargers/print.tsx";
import * as adminChargersRotate from "./admin/chargers/rotate.ts";
import * as adminCustomersPage from "./admin/customers.tsx";
import * as adminCustomerTags from "./admin/customers/tags.ts";
import * as adminFlagPage from "./admin/flags/pre-authorize.ts";
import * as adminEmailPage from "./admin/email.tsx";
import * as adminHooksPage from "./admin/hooks.tsx";
import * as adminEmailPageRetry from "./admin/email/retry.ts";
import * as adminEmailMessagePage from "./admin/email/messages/[id].tsx";
import * as adminPncPage from "./admin/pnc.tsx";
import * as adminPncPageAcknowledge from "./admin/pnc/acknowledge.ts";
import * as adminHome from "./admin/index.tsx";
import * as adminPartnersPage from "./admin/partners.tsx";
import * as adminPartnerPage from "./admin/partners/[id].tsx";
import * as adminPartnerPageSecret from "./admin/partners/[id]/secret.tsx";
import * as adminPartnerPagePing from "./admin/partners/[id]/ping.tsx";
import * as adminPartnerPageRetry from "./admin/partners/[id]/deliveries/retry.tsx";
import * as adminLogin from "./admin/login.tsx";
import * as adminLogout from "./admin/logout.ts";
import * as adminSetup from "./admin/setup.tsx";
import * as chargerPage from "./c/[chargeBoxId].tsx";
import * as login from "./login.tsx";
import * as loginEmail from "./login/email.tsx";
import * as me from "./me.tsx";
import * as meLogout from "./me/logout.ts";

export const routes: ReadonlyArray<readonly [string, Handlers]> = [
  ["/", home.handler],
  ["/health", health.handler],
  ["/c/:chargeBoxId", chargerPage.handler],
  ["/login", login.handler],
  ["/login/email", loginEmail.handler],
  ["/me", me.handler],
  ["/me/logout", meLogout.handler],
  ["/admin", adminHome.handler],
  ["/admin/login", adminLogin.handler],
  ["/admin/logout", adminLogout.handler],
  ["/admin/setup", adminSetup.handler],
  ["/admin/flags/pre-authorize", adminFlagPage.handler],
  ["/admin/chargers", adminChargersPage.handler],
  ["/admin/chargers/print", adminChargersPrint.handler],
  ["/admin/chargers/rotate", adminChargersRotate.handler],
  ["/admin/customers", adminCustomersPage.handler],
  ["/admin/billing", adminBillingPage.handler],
  ["/admin/billing/sweep", adminBillingPageSweep.handler],
  ["/admin/billing/retry", adminBillingPageRetry.handler],
  ["/admin/customers/tags", adminCustomerTags.handler],
  ["/admin/partners", adminPartnersPage.handler],
  ["/admin/partners/:id", adminPartnerPage.handler],
  ["/admin/partners/:id/secret", adminPartnerPageSecret.handler],
  ["/admin/partners/:id/ping", adminPartnerPagePing.handler],
  ["/admin/partners/:id/deliveries/retry", adminPartnerPageRetry.handler],
  ["/admin/email", adminEmailPage.handler],
  ["/admin/email/retry", adminEmailPageRetry.handler],
  ["/admin/email/messages/:id", adminEmailMessagePage.handler],
  ["/admin/hooks", adminHooksPage.handler],
  ["/admin/pnc", adminPncPage.handler],
  ["/admin/pnc/acknowledge", adminPncPageAcknowledge.handler],
  ["/api/ocpp/pre-authorize", preAuthorize.handler],
  ["/api/ocpp/meter-values", meterValues.handler],
  ["/api/pnc/webhooks", pncWebhooks.handler],
  ["/api/partners/:partnerId/events", partnerEventsIn.handler],
  ["/api/auth/scan-pair", scanPair.handler],
  ["/api/auth/scan-pair/:pairId", scanPairById.handler],
  ["/api/auth/scan-pair/:pairId/events", scanPairEvents.handler],
  ["/api/auth/scan-login", scanLogin.handler],
  ["/api/admin/chargers", adminChargers.handler],
  ["/api/admin/chargers/:chargeBoxId", adminCharger.handler],
  ["/api/admin/chargers/:chargeBoxId/rotate-qr", adminChargerRotateQr.handler],
  ["/api/admin/customers/:id", adminCustomer.handler],
  ["/api/admin/tags/:idTag", adminTag.handler],
  ["/api/admin/sessions/live", adminLiveSessions.handler],
  ["/api/admin/sessions/live/events", adminLiveSessionEvents.handler],
  ["/api/me/events", meEvents.handler],
  ["/api/admin/flags/pre-authorize", adminFlagPreAuthorize.handler],
  ["/api/admin/hooks", adminHooks.handler],
  ["/api/admin/billing", adminBilling.handler],
  ["/api/admin/billing/sweep", adminBillingSweep.handler],
  ["/api/admin/billing/retry", adminBillingRetry.handler],
  ["/api/admin/partners", adminPartners.handler],
  ["/api/admin/partners/:id", adminPartner.handler],
  ["/api/admin/partners/:id/secret", adminPartnerSecret.handler],
  ["/api/admin/partners/:id/events", adminPartnerEvents.handler],
  ["/api/admin/partners/:id/deliveries", adminPartnerDeliveries.handler],
  ["/api/admin/partners/:id/deliveries/retry", adminPartnerDeliveriesRetry.handler],
  ["/api/admin/partners/:id/ping", adminPartnerPing.handler],
  ["/api/admin/email", adminEmail.handler],
  ["/api/admin/email/retry", adminEmailRetry.handler],
  ["/api/admin/pnc/events", adminPncEvents.handler],
  ["/api/admin/pnc/events/:id/acknowledge", adminPncEventAcknowledge.handler],
];
