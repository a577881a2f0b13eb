import assert from "node:assert/strict";
import {
  energyToMwh,
  type MeterValuesBody,
  parseScaledDecimal,
  powerToW,
  readMeterSamples,
} from "./meter_values.ts";

Deno.test("parseScaledDecimal - exact integer scaling, rounding half up, no floats", () => {
  const cases: Array<[string, number, number | null]> = [
    ["1234.5", 3, 1_234_500],
    ["12.3456789", 6, 12_345_679],
    ["12.3456784", 6, 12_345_678],
    ["0.0000005", 6, 1],
    ["7", 3, 7000],
    [" 42.000 ", 3, 42_000],
    ["-3.5", 3, -3500],
    ["1e3", 3, null],
    ["0x10", 3, null],
    ["", 3, null],
    ["12.", 3, null],
    [".5", 3, null],
    ["NaN", 3, null],
    ["99999999999999999999", 3, null],
  ];
  for (const [value, decimals, expected] of cases) {
    assert.equal(parseScaledDecimal(value, decimals), expected, value);
  }
});

Deno.test("energyToMwh - Wh by default, kWh scaled, other units and negatives unusable", () => {
  assert.equal(energyToMwh("1500", undefined), 1_500_000);
  assert.equal(energyToMwh("1500", "Wh"), 1_500_000);
  assert.equal(energyToMwh("1.5", "kWh"), 1_500_000);
  assert.equal(energyToMwh("1.5", "varh"), null);
  assert.equal(energyToMwh("-1", "Wh"), null);
  assert.equal(
    energyToMwh("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "Wh"),
    null,
  );
});

Deno.test("powerToW - W by default, kW scaled", () => {
  assert.equal(powerToW("7400", undefined), 7400);
  assert.equal(powerToW("7.4", "kW"), 7400);
  assert.equal(powerToW("230.5", "W"), 230.5);
  assert.equal(powerToW("1", "A"), null);
});

const body = (samples: MeterValuesBody["samples"]): MeterValuesBody => ({
  chargeBoxId: "CB",
  transactionPk: 1,
  connectorId: 1,
  timestamp: "2026-11-23T10:00:00Z",
  samples,
});

Deno.test("readMeterSamples - power is summed over phases, a phase-less total wins", () => {
  const phases = readMeterSamples(body([
    { value: "2.4", measurand: "Power.Active.Import", unit: "kW", phase: "L1" },
    { value: "2400", measurand: "Power.Active.Import", unit: "W", phase: "L2" },
    { value: "2.5", measurand: "Power.Active.Import", unit: "kW", phase: "L3" },
    { value: "10", measurand: "Power.Active.Import", unit: "W", phase: "N" },
  ]));
  assert.equal(phases.reading.powerW, 7300);
  assert.equal(phases.reading.registerMwh, null);

  const withTotal = readMeterSamples(body([
    { value: "1000", measurand: "Power.Active.Import", phase: "L1" },
    { value: "7000", measurand: "Power.Active.Import" },
  ]));
  assert.equal(withTotal.reading.powerW, 7000);
});

Deno.test("readMeterSamples - energy is the default measurand; contexts mark begin and end", () => {
  const begin = readMeterSamples(
    body([{ value: "100", context: "Transaction.Begin" }]),
  );
  assert.equal(begin.reading.registerMwh, 100_000);
  assert.equal(begin.reading.isBegin, true);
  assert.equal(begin.reading.ends, false);
  assert.deepEqual(begin.samples, [{
    measurand: "Energy.Active.Import.Register",
    phase: "",
    format: "Raw",
    value: "100",
    unit: null,
    context: "Transaction.Begin",
    location: null,
  }]);

  const end = readMeterSamples(body([
    { value: "0.25", unit: "kWh", context: "Transaction.End" },
    {
      value: "SIGNED-BLOB",
      measurand: "Energy.Active.Import.Register",
      format: "SignedData",
    },
  ]));
  assert.equal(end.reading.registerMwh, 250_000);
  assert.equal(end.reading.ends, true);
  assert.equal(
    end.samples.length,
    2,
    "the plain and the signed register are both kept",
  );
});

Deno.test("readMeterSamples - signed or garbage values are stored but give no reading", () => {
  const signed = readMeterSamples(body([
    {
      value: "<signedMeterValue>…</signedMeterValue>",
      context: "Sample.Periodic",
    },
    { value: "fast", measurand: "Power.Active.Import" },
  ]));
  assert.equal(signed.reading.registerMwh, null);
  assert.equal(signed.reading.powerW, null);
  assert.equal(signed.samples.length, 2);
});

Deno.test("readMeterSamples - a repeated (measurand, phase) in one call is stored once", () => {
  const twice = readMeterSamples(body([{ value: "1" }, { value: "2" }]));
  assert.equal(twice.samples.length, 1);
});
