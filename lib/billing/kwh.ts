/** Exact kWh strings from integer milliwatt-hours (Lago drops exponent notation). */

/** 1234567 mWh → "1.234567"; -5 → "-0.000005". Always six decimals, never floats. */
export function mwhToKwhString(mwh: number): string {
  const sign = mwh < 0 ? "-" : "";
  const abs = Math.abs(mwh);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}
