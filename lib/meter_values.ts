/**
 * `POST /api/ocpp/meter-values`: SteVe forwards every MeterValues.req. Every
 * sample is stored as sent; the usable ones (decimal energy and power) move
 * the transaction's live session, which is published as `transaction.meter`.
 * The hook never waits on anything outside our database.
 */
import { z } from "zod";
import type { Database } from "../db/client.ts";
import type { LiveSession, MeterCall, StoredSample } from "../db/queries/sessions.ts";
import type { ChargerRegistry } from "./chargers.ts";
import { AppError } from "./errors.ts";
import type { EventPublisher, TransactionMeter } from "./event_bus.ts";
import { errorSummary, hashForLog, type Logger } from "./logging.ts";
import { connectorId, ocppIdentifier } from "./identifiers.ts";
import type { RecordMeterCall } from "./meter_group_commit.ts";

export const ENERGY_REGISTER = "Energy.Active.Import.Register";
export const POWER_IMPORT = "Power.Active.Import";

const optionalText = z.string().max(255).nullish();

export const meterSampleSchema = z.object({
  value: z.string().max(4096),
  measurand: optionalText,
  unit: optionalText,
  context: optionalText,
  phase: optionalText,
  location: optionalText,
  format: optionalText,
});
export type MeterSample = z.infer<typeof meterSampleSchema>;

export const meterValuesBody = z.object({
  chargeBoxId: ocppIdentifier,
  transactionPk: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  connectorId: connectorId.max(2_147_483_647),
  timestamp: z.iso.datetime({ offset: true }),
  samples: z.array(meterSampleSchema).min(1).max(500),
});
export type MeterValuesBody = z.infer<typeof meterValuesBody>;

const DECIMAL = /^[+-]?(\d+)(?:\.(\d+))?$/;

/**
 * An OCPP decimal string scaled to an integer number of 10^-`decimals` units,
 * rounded half up, without going through floating point. Null when `value`
 * is not a plain decimal (SignedData, exponent notation, garbage).
 */
export function parseScaledDecimal(
  value: string,
  decimals: number,
): number | null {
  const m = DECIMAL.exec(value.trim());
  if (!m) return null;
  const negative = value.trim().startsWith("-");
  const fraction = (m[2] ?? "").padEnd(decimals + 1, "0");
  let units = BigInt(m[1] + fraction.slice(0, decimals));
  if (Number(fraction[decimals]) >= 5) units += 1n;
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return negative ? -Number(units) : Number(units);
}

/** An energy register value in milliwatt-hours, or null when unusable. */
export function energyToMwh(
  value: string,
  unit: string | null | undefined,
): number | null {
  const u = unit ?? "Wh";
  if (u !== "Wh" && u !== "kWh") return null;
  const mwh = parseScaledDecimal(value, u === "kWh" ? 6 : 3);
  // A lifetime import register cannot be negative.
  return mwh === null || mwh < 0 ? null : mwh;
}

/** A power value in watts, or null when unusable. */
export function powerToW(
  value: string,
  unit: string | null | undefined,
): number | null {
  const u = unit ?? "W";
  if (u !== "W" && u !== "kW") return null;
  const milli = parseScaledDecimal(value, 3);
  if (milli === null) return null;
  return u === "kW" ? milli : milli / 1000;
}

const hasPhase = (s: MeterSample) => !!s.phase && s.phase !== "N";

/**
 * One figure from samples of a measurand: the phase-less total when the
 * charger sent one, else the sum over its phases (neutral excluded).
 */
function combine(
  samples: MeterSample[],
  convert: (s: MeterSample) => number | null,
) {
  const total = samples.filter((s) => !s.phase).map(convert).find((v) => v !== null);
  if (total !== undefined && total !== null) return total;
  const phases = samples.filter(hasPhase).map(convert).filter((
    v,
  ): v is number => v !== null);
  return phases.length ? phases.reduce((a, b) => a + b, 0) : null;
}

/** What a call's samples say about its session, plus the rows to store. */
export function readMeterSamples(body: MeterValuesBody): MeterCall {
  const energy = body.samples.filter((s) =>
    (s.measurand ?? ENERGY_REGISTER) === ENERGY_REGISTER && s.location !== "EV"
  );
  const power = body.samples.filter((s) => s.measurand === POWER_IMPORT && s.location !== "EV");
  const registerMwh = combine(energy, (s) => energyToMwh(s.value, s.unit));
  const powerW = combine(power, (s) => powerToW(s.value, s.unit));

  // Samples are keyed by (transaction, time, measurand, phase, format): keep the first of each.
  const seen = new Set<string>();
  const stored: StoredSample[] = [];
  for (const s of body.samples) {
    const measurand = s.measurand ?? ENERGY_REGISTER;
    const phase = s.phase ?? "";
    const format = s.format ?? "Raw";
    const key = `${measurand}\u0000${phase}\u0000${format}`;
    if (seen.has(key)) continue;
    seen.add(key);
    stored.push({
      measurand,
      phase,
      format,
      value: s.value,
      unit: s.unit ?? null,
      context: s.context ?? null,
      location: s.location ?? null,
    });
  }

  return {
    reading: {
      transactionPk: body.transactionPk,
      chargeBoxId: body.chargeBoxId,
      connectorId: body.connectorId,
      at: new Date(body.timestamp),
      registerMwh,
      isBegin: energy.some((s) => s.context === "Transaction.Begin"),
      powerW,
      ends: body.samples.some((s) => s.context === "Transaction.End"),
    },
    samples: stored,
  };
}

/** The `transaction.meter` payload (and the live-session API's item) for a session. */
export function toTransactionMeter(session: LiveSession): TransactionMeter {
  return {
    transactionPk: session.transactionPk,
    chargeBoxId: session.chargeBoxId,
    chargerName: session.chargerName,
    connectorId: session.connectorId,
    customerId: session.customerId,
    customerName: session.customerName,
    kwh: session.energyMwh / 1_000_000,
    // An ended session draws nothing, whatever the last power sample said.
    kw: session.endedAt ? 0 : session.powerW === null ? null : session.powerW / 1000,
    at: session.lastReadingAt.toISOString(),
    endedAt: session.endedAt?.toISOString() ?? null,
    startedAt: session.startedAt.toISOString(),
    version: session.version,
  };
}

export interface MeterValuesDeps {
  db: Database;
  bus: EventPublisher;
  chargers: ChargerRegistry;
  log: Logger;
  /** Stores a call with others arriving meanwhile (./meter_group_commit.ts). */
  record: RecordMeterCall;
}

/** Stores a verified call and publishes the session it changed. Throws 500 internal. */
export async function ingestMeterValues(
  deps: MeterValuesDeps,
  body: MeterValuesBody,
) {
  const call = readMeterSamples(body);
  let session: LiveSession | null;
  try {
    [session] = await Promise.all([
      deps.record(call),
      deps.chargers.remember(deps.db, body.chargeBoxId).catch((error) =>
        deps.log.warn("could not record charger", {
          chargeBox: hashForLog(body.chargeBoxId),
          error: errorSummary(error),
        })
      ),
    ]);
  } catch (error) {
    deps.log.error("storing meter values failed", {
      chargeBox: hashForLog(body.chargeBoxId),
      transactionPk: body.transactionPk,
      error: errorSummary(error),
    });
    throw new AppError("internal");
  }
  if (session) {
    deps.bus.publish(
      "transaction.meter",
      toTransactionMeter(session),
    );
  }
  return session;
}
