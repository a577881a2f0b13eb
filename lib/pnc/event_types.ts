/**
 * Hubject Plug&Charge webhook event types (seed 002, "Relevant for Role |
 * Event Name | … | Message"): who each concerns and the operator message the
 * seed gives for it, spelled as the seed spells it. The one table the receiver,
 * the admin API and the page read.
 */

/** Whom Hubject addresses an event to: every partner, mobility operators, or car makers. */
export type PncRole = "ALL" | "MO" | "OEM";

export interface PncEventType {
  readonly role: PncRole;
  /** The seed's "Message (Logging examples for customer)", verbatim. */
  readonly message: string;
  /**
   * Flagged on /admin/pnc until an admin acknowledges it: a new or revoked
   * root (EVSEs may need it, or must drop it), a provisioning certificate gone
   * or replaced (the customer's contracts are gone), a contract the OEM refused.
   */
  readonly needsAction: boolean;
}

const type = (role: PncRole, message: string, needsAction = false): PncEventType => ({
  role,
  message,
  needsAction,
});

/** Every event type of seed 002's table, by its name. */
export const PNC_EVENT_TYPES: Readonly<Record<string, PncEventType>> = {
  "root.cert.added": type("ALL", "New root in RCP available", true),
  "root.cert.expired": type("ALL", "Root Expired"),
  "root.cert.revoked": type("ALL", "Root revoked", true),
  "mo.prov.cert.deleted": type(
    "MO",
    "PnC is currently disabled, bacause the OEM Provisioning certificate was Deleted/Revoked.",
    true,
  ),
  "mo.prov.cert.factory.reset": type(
    "MO",
    "Factory Reset was performed. All contracts for PCID where Removed.",
    true,
  ),
  // Deprecated by Hubject, still in its table: a sender may yet use it.
  "mo.prov.cert.updated.factory.reset": type(
    "MO",
    "Contract deleted, because a new OEM Prov. Certificate was created. Sync with customer for next steps.",
    true,
  ),
  "mo.prov.cert.updated": type(
    "MO",
    "Contract deleted, because a new OEM Prov. Certificate was created. Sync with customer for next steps.",
    true,
  ),
  "mo.contract.created.sent.to.oem": type(
    "MO",
    "Contract information (oem.contract.created) has been sent to the OEM Backend.",
  ),
  "mo.contract.updated.sent.to.oem": type(
    "MO",
    "Contract information (oem.contract.updated) has been sent to the OEM Backend.",
  ),
  "mo.contract.deleted.sent.to.oem": type(
    "MO",
    "Contract information (oem.contract.deleted) has been sent to the OEM Backend.",
  ),
  "mo.contract.delivered.to.oem": type(
    "MO",
    "Signed Contract Certificate Bundle successfully delivered to OEM or CPO-Backend",
  ),
  "mo.contract.rejected.by.oem": type(
    "MO",
    "Info about contract Creation/Updated/Deletion (oem.contract.*) could not be delivered to OEM.",
    true,
  ),
  "mo.contract.queued.to.oem": type(
    "MO",
    "Retry started in direction of the OEM Backend from Hubject for (oem.contract.*) started.",
  ),
  "oem.contract.created": type("OEM", "New contract available for PCID … with EMAID…."),
  "oem.contract.updated": type("OEM", "Updated contract data available for PCID… with EMAID…"),
  "oem.contract.deleted": type("OEM", "Deleted contract for PCID…. With EMAID…"),
};

/** The seed's entry for `eventType`, or null for a type it does not list (stored, no action). */
export function pncEventType(eventType: string): PncEventType | null {
  return Object.hasOwn(PNC_EVENT_TYPES, eventType) ? PNC_EVENT_TYPES[eventType] : null;
}
