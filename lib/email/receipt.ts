/**
 * The receipt mailed when a session ends (issue 14 §3). It is queued inside
 * the meter-values statement (db/queries/sessions.ts) as data only, once per
 * transaction (`receipt-<transactionPk>`); these words are rendered from that
 * data at the sender's first claim and stored, so the page shows what was sent.
 */
/** What the statement stores (`data_json`), as PostgreSQL's `json_build_object` writes it. */
export interface ReceiptData {
  transactionPk: number;
  chargeBoxId: string;
  chargerName: string | null;
  customerName: string | null;
  /** ISO-8601 UTC. */
  startedAt: string;
  endedAt: string;
  /** Energy in kWh with three decimals, as text ("12.345"). */
  kwh: string;
}

/** The message id of transaction `transactionPk`'s receipt. */
export const receiptEmailId = (transactionPk: number) => `receipt-${transactionPk}`;

/** "29 Nov 2026, 10:00 UTC": receipts state the zone, since the reader's is unknown. */
function utcTime(iso: string): string {
  return new Date(iso).toLocaleString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  }) + " UTC";
}

/** "1 h 05 min", "12 min", "40 s" (components/format.ts's formatDuration; lib/ cannot import it). */
function durationText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Subject and plain text of a receipt. */
export function renderReceipt(data: ReceiptData): { subject: string; text: string } {
  const charger = data.chargerName ? `${data.chargerName} (${data.chargeBoxId})` : data.chargeBoxId;
  const durationMs = Date.parse(data.endedAt) - Date.parse(data.startedAt);
  const lines = [
    data.customerName ? `Hello ${data.customerName},` : "Hello,",
    "",
    "your charging session has ended. Your receipt:",
    "",
    `Charger:  ${charger}`,
    `Start:    ${utcTime(data.startedAt)}`,
    `End:      ${utcTime(data.endedAt)}`,
    `Duration: ${durationText(durationMs)}`,
    `Energy:   ${data.kwh} kWh`,
    "",
    `Session ${data.transactionPk}`,
  ];
  // The worker takes subjects of at most 200 characters; a long charger name is cut.
  const subject = `Charging receipt: ${data.kwh} kWh at ${charger}`.slice(0, 200);
  return { subject, text: lines.join("\n") + "\n" };
}

/** The content of a message born with data only, by purpose; null for one that has none. */
export function renderFromData(
  purpose: string,
  dataJson: string,
): { subject: string; text: string } | null {
  return purpose === "receipt" ? renderReceipt(JSON.parse(dataJson) as ReceiptData) : null;
}
