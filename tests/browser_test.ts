/**
 * Real browser flows in Debian's Chromium (playwright-core), against the app
 * on loopback with signed SteVe hooks sent by the test. Each flow saves
 * screenshots under test-artifacts/ (not committed).
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { upsertAdmin } from "../lib/admin_accounts.ts";
import { hasChromium, launchChromium, shot } from "./_support/browser.ts";
import { postgresAvailable } from "./_support/db.ts";
import { openTestDatabase } from "./_support/db.ts";
import {
  createCharger,
  meterValues,
  pncPost,
  preAuthorize,
  startTestApp,
  type TestApp,
  uniqueId,
} from "./_support/app.ts";

const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};
const DESK = { viewport: { width: 1280, height: 860 } };

function browserTest(
  name: string,
  fn: (browser: Browser, app: TestApp) => Promise<void>,
  options: { env?: Record<string, string> } = {},
) {
  Deno.test({
    name: `browser - ${name}`,
    ignore: !hasChromium,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using db = await openTestDatabase(
        postgresAvailable ? "postgres" : "pglite",
      );
      await using app = await startTestApp({ db, sseHeartbeatMs: 2_000, env: options.env });
      const browser = await launchChromium();
      try {
        await fn(browser, app);
      } finally {
        await browser.close();
      }
    },
  });
}

async function customer(app: TestApp, name: string) {
  const id = uniqueId("cust");
  const tag = `04${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`;
  await (await app.admin("PUT", `/api/admin/customers/${id}`, { name })).body
    ?.cancel();
  await (await app.admin("PUT", `/api/admin/tags/${tag}`, { customerId: id }))
    .body?.cancel();
  return { id, tag, name };
}

/** Plays SteVe for one transaction: StartTransaction, then readings of the register. */
async function charge(
  app: TestApp,
  args: {
    tag: string;
    box: string;
    pk: number;
    readingsWh: number[];
    endWh?: number;
  },
) {
  await (await preAuthorize(app, {
    idTag: args.tag,
    chargeBoxId: args.box,
    connectorId: 1,
    isStartTx: true,
  })).body?.cancel();
  const send = async (wh: number, context: string, kw: number) => {
    const res = await meterValues(app, {
      chargeBoxId: args.box,
      transactionPk: args.pk,
      connectorId: 1,
      timestamp: new Date().toISOString(),
      samples: [
        { value: String(wh), context, unit: "Wh" },
        {
          value: String(kw * 1000),
          measurand: "Power.Active.Import",
          unit: "W",
          context,
        },
      ],
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  const [begin, ...rest] = args.readingsWh;
  await send(begin, "Transaction.Begin", 0);
  for (const wh of rest) await send(wh, "Sample.Periodic", 7.4);
  if (args.endWh !== undefined) await send(args.endWh, "Transaction.End", 0);
}

browserTest(
  "a customer scans a charger, taps a card, lands on /me and sees the session live",
  async (browser, app) => {
    const ann = await customer(app, "Ann Lee");
    const box = uniqueId("BAY");
    const { token } = await createCharger(app, box, "Bay 4 · Level 1");
    const page = await browser.newPage(PHONE);
    await page.goto(`${app.url}/c/${box}?k=${token}`);
    await page.getByRole("heading", { name: "Bay 4 · Level 1" }).waitFor();
    await page.getByText("Tap your charging card on the charger's reader")
      .waitFor();
    await page.getByText(/\d:\d\d/).waitFor();
    await shot(page, "customer-1-charger-page-phone");

    // The tap: SteVe's pre-authorize from that charger is intercepted.
    const tap = await (await preAuthorize(app, {
      idTag: ann.tag,
      chargeBoxId: box,
      connectorId: 1,
    })).json();
    assert.deepEqual(tap, { override: "BLOCKED" });
    await page.waitForURL(`${app.url}/me`);
    await page.getByRole("heading", { name: "Hello, Ann Lee" }).waitFor();
    await page.getByText("No active session").waitFor();
    await page.getByRole("status").getByText("Live", { exact: true }).waitFor();

    // Logged in, her next tap starts charging normally; the session appears by itself.
    const pk = 700_000 + Math.floor(Math.random() * 1000);
    await charge(app, { tag: ann.tag, box, pk, readingsWh: [20_000, 21_250] });
    const card = page.locator(`[data-transaction="${pk}"]`);
    await card.getByText("1.25 kWh").waitFor();
    await card.getByText("7.4 kW").waitFor();
    await charge(app, { tag: ann.tag, box, pk, readingsWh: [20_000, 23_500] });
    await card.getByText("3.50 kWh").waitFor();
    const text = await page.textContent("body");
    assert.ok(!text!.includes(ann.tag), "the card number is never shown");
    await shot(page, "customer-2-me-live-phone");
    const desk = await browser.newPage({
      ...DESK,
      storageState: await page.context().storageState(),
    });
    await desk.goto(`${app.url}/me`);
    await desk.locator(`[data-transaction="${pk}"]`).getByText("3.50 kWh")
      .waitFor();
    await shot(desk, "customer-3-me-desk");
  },
);

browserTest(
  "an admin logs in and watches a session's kWh rise and end",
  async (browser, app) => {
    await upsertAdmin(app.deps, {
      email: "ops@example.com",
      password: "correct-horse-battery",
    });
    const bob = await customer(app, "Bob Ortiz");
    const box = uniqueId("CB");
    await createCharger(app, box, "Fast charger · Entrance");
    const page = await browser.newPage(DESK);
    await logInToDashboard(page, app.url);
    await page.getByRole("status").getByText("Live", { exact: true }).waitFor();

    const pk = 800_000 + Math.floor(Math.random() * 1000);
    await charge(app, { tag: bob.tag, box, pk, readingsWh: [5_000, 6_000] });
    const card = page.locator(`[data-transaction="${pk}"]`);
    await card.getByText("Bob Ortiz").waitFor();
    await card.getByText("1.00 kWh").waitFor();
    await card.getByText("Charging").waitFor();
    for (const wh of [7_500, 9_000, 11_000]) {
      await charge(app, { tag: bob.tag, box, pk, readingsWh: [5_000, wh] });
      await card.getByText(`${((wh - 5_000) / 1000).toFixed(2)} kWh`).waitFor();
    }
    await card.locator("svg.sparkline").waitFor();
    await shot(page, "admin-1-dashboard-charging-desk");
    await charge(app, {
      tag: bob.tag,
      box,
      pk,
      readingsWh: [5_000],
      endWh: 12_345,
    });
    await card.getByText("7.35 kWh").waitFor();
    await card.getByText(/^Ended \d\d:\d\d$/).waitFor();
    await shot(page, "admin-2-dashboard-ended-desk");

    const phone = await browser.newPage({
      ...PHONE,
      storageState: await page.context().storageState(),
    });
    await phone.goto(`${app.url}/admin`);
    await phone.locator(`[data-transaction="${pk}"]`).getByText("7.35 kWh")
      .waitFor();
    await shot(phone, "admin-3-dashboard-phone");
    await page.goto(`${app.url}/admin/chargers`);
    await page.getByText("Fast charger · Entrance").waitFor();
    await shot(page, "admin-4-chargers-desk");
    await page.goto(`${app.url}/admin/customers`);
    await page.getByRole("table").getByText("Bob Ortiz").waitFor();
    await shot(page, "admin-5-customers-desk");
    await page.goto(`${app.url}/admin/billing`);
    await page.getByRole("heading", { name: "Billing", exact: true }).waitFor();
    await page.getByRole("button", { name: "Run reconciliation sweep now" })
      .click();
    await page.getByRole("cell", { name: "admin" }).waitFor();
    await shot(page, "admin-6-billing-desk");
  },
);

browserTest(
  "a customer's page and stream never receive another customer's session",
  async (browser, app) => {
    const ann = await customer(app, "Ann Lee");
    const bob = await customer(app, "Bob Ortiz");
    const [annBox, bobBox] = [uniqueId("ANN"), uniqueId("BOB")];
    const { token } = await createCharger(app, annBox, "Ann's bay");
    await createCharger(app, bobBox, "Bob's bay");

    const page = await browser.newPage(PHONE);
    await page.goto(`${app.url}/c/${annBox}?k=${token}`);
    await page.getByText("Tap your charging card on the charger's reader")
      .waitFor();
    await (await preAuthorize(app, { idTag: ann.tag, chargeBoxId: annBox }))
      .body?.cancel();
    await page.waitForURL(`${app.url}/me`);
    // Record everything Ann's own stream delivers while both charge.
    await page.evaluate(() => {
      const seen: string[] = [];
      (globalThis as unknown as { seen: string[] }).seen = seen;
      const source = new EventSource("/api/me/events");
      source.addEventListener(
        "snapshot",
        (e) => seen.push((e as MessageEvent).data),
      );
      source.addEventListener(
        "session",
        (e) => seen.push((e as MessageEvent).data),
      );
    });
    const [annPk, bobPk] = [
      900_001 + Math.floor(Math.random() * 1000),
      910_001 + Math.floor(Math.random() * 1000),
    ];
    await charge(app, {
      tag: bob.tag,
      box: bobBox,
      pk: bobPk,
      readingsWh: [1_000, 4_000],
    });
    await charge(app, {
      tag: ann.tag,
      box: annBox,
      pk: annPk,
      readingsWh: [2_000, 2_500],
    });
    await charge(app, {
      tag: bob.tag,
      box: bobBox,
      pk: bobPk,
      readingsWh: [1_000, 5_000],
    });
    await page.locator(`[data-transaction="${annPk}"]`).getByText("0.50 kWh")
      .waitFor();
    await page.waitForTimeout(500);
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);
    assert.ok(
      seen.some((d) => d.includes(String(annPk))),
      "Ann's stream carries her session",
    );
    for (const data of seen) {
      assert.ok(
        !data.includes(String(bobPk)) && !data.includes(bob.id) &&
          !data.includes("Bob"),
        data,
      );
    }
    const body = await page.textContent("body");
    assert.ok(
      !body!.includes("Bob") && !body!.includes("4.00 kWh"),
      "Bob's session is not on Ann's page",
    );
    await shot(page, "customer-isolation-phone");
  },
);

browserTest(
  "the power chart of a live session is drawn on first load of /admin and /me, from stored readings",
  async (browser, app) => {
    await upsertAdmin(app.deps, { email: "ops@example.com", password: "correct-horse-battery" });
    const cleo = await customer(app, "Cleo Park");
    const box = uniqueId("CB");
    const pk = 810_000 + Math.floor(Math.random() * 1000);
    await (await preAuthorize(app, {
      idTag: cleo.tag,
      chargeBoxId: box,
      connectorId: 1,
      isStartTx: true,
    })).body?.cancel();
    // Ten readings over the last five minutes, all stored before any page opens.
    const start = Date.now() - 5 * 60_000;
    for (let i = 0; i < 10; i++) {
      const res = await meterValues(app, {
        chargeBoxId: box,
        transactionPk: pk,
        connectorId: 1,
        timestamp: new Date(start + i * 30_000).toISOString(),
        samples: [
          { value: String(10_000 + i * 60), context: i ? "Sample.Periodic" : "Transaction.Begin" },
          { value: String(4_000 + (i % 3) * 1_500), measurand: "Power.Active.Import", unit: "W" },
        ],
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const page = await browser.newPage(DESK);
    await logInToDashboard(page, app.url);
    const pointsOnLoad = async (target: Page) => {
      const line = target.locator(`[data-transaction="${pk}"] svg.sparkline polyline`);
      await line.waitFor();
      return (await line.getAttribute("points"))!.trim().split(/\s+/).length;
    };
    assert.equal(await pointsOnLoad(page), 10, "every stored reading, no new one needed");
    await shot(page, "admin-7-chart-on-first-load-desk");
    // A second browser sees the same curve.
    const other = await browser.newPage({
      ...DESK,
      storageState: await page.context().storageState(),
    });
    await other.goto(`${app.url}/admin`);
    assert.equal(await pointsOnLoad(other), 10);

    // Cleo's own page draws the same stored curve at once: she logs in by scan on another bay.
    const qrBox = `${box}-QR`;
    const { token } = await createCharger(app, qrBox, "Bay QR");
    const phone = await browser.newPage(PHONE);
    await phone.goto(`${app.url}/c/${qrBox}?k=${token}`);
    await phone.getByText(/\d:\d\d/).waitFor();
    await (await preAuthorize(app, { idTag: cleo.tag, chargeBoxId: qrBox, connectorId: 1 }))
      .body?.cancel();
    await phone.waitForURL(`${app.url}/me`);
    assert.equal(await pointsOnLoad(phone), 10, "the customer's page seeds the chart too");
    await shot(phone, "customer-chart-on-first-load-phone");
  },
);

browserTest(
  "the scan page's progress bar measures the configured pair lifetime (30 s)",
  async (browser, app) => {
    const box = uniqueId("BAY");
    const { token } = await createCharger(app, box, "Bay 5");
    const page = await browser.newPage(PHONE);
    await page.goto(`${app.url}/c/${box}?k=${token}`);
    await page.getByText(/0:[23]\d/).waitFor();
    await page.getByRole("progressbar", { name: "Time left" }).waitFor();
    // Both read in one go, so the countdown cannot tick between them.
    const [figure, value] = await page.evaluate(() =>
      [
        document.querySelector(".countdown-figure")!.textContent!,
        (document.querySelector("progress") as HTMLProgressElement).value,
      ] as const
    );
    const [, m, s] = /(\d+):(\d\d)/.exec(figure)!;
    const left = Number(m) * 60 + Number(s);
    // 0:29 of 30 s is ~97%; a bar drawn for 90 s would show ~32%.
    const expected = Math.min(100, left / 30 * 100);
    assert.ok(Math.abs(value - expected) < 0.5, `bar ${value}% for ${left} s of 30 s`);
    assert.ok(value > 80, `a fresh pair fills most of the bar: ${value}%`);
  },
  { env: { SCAN_PAIR_TTL_SECONDS: "30" } },
);

browserTest(
  "an admin sees a Plug&Charge event needing action, acknowledges it, and the nav count drops",
  async (browser, app) => {
    await upsertAdmin(app.deps, {
      email: "ops@example.com",
      password: "correct-horse-battery",
    });
    const send = async (eventType: string, payload: Record<string, unknown>) => {
      const res = await pncPost(app, { eventId: crypto.randomUUID(), eventType, payload });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    };
    await send("mo.contract.delivered.to.oem", { emaid: "DE-8AA-1A2B3C4D5-6" });
    await send("root.cert.revoked", { rootCertificateId: "V2G-ROOT-CA-G2" });
    await send("mo.prov.cert.deleted", { pcid: "WMIV1234567890ABC" });
    await send("brand.new.event", { anything: true });

    const page = await browser.newPage(DESK);
    await logInToDashboard(page, app.url);
    const navLink = page.getByRole("navigation", { name: "Admin" }).locator(
      "[data-testid=nav-pnc]",
    );
    await navLink.getByText("2", { exact: true }).waitFor();
    await navLink.click();
    await page.getByRole("heading", { name: "Plug&Charge events" }).waitFor();
    const rows = page.locator("tbody tr");
    // Those needing action first, newest first among them.
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.eventType)), [
      "mo.prov.cert.deleted",
      "root.cert.revoked",
      "brand.new.event",
      "mo.contract.delivered.to.oem",
    ]);
    const revoked = page.locator('tr[data-event-type="root.cert.revoked"]');
    await revoked.getByText("Root revoked").waitFor();
    await page.getByText("2 events need action.").waitFor();
    await shot(page, "pnc-1-needs-action-desk");

    await revoked.getByRole("button", { name: "Acknowledge" }).click();
    await page.getByText("1 event needs action.").waitFor();
    await navLink.getByText("1", { exact: true }).waitFor();
    await page.locator('tr[data-event-type="root.cert.revoked"]').getByText(/^Acknowledged/)
      .waitFor();
    await shot(page, "pnc-2-acknowledged-desk");

    await page.locator('tr[data-event-type="mo.prov.cert.deleted"]')
      .getByRole("button", { name: "Acknowledge" }).click();
    await page.getByText("Nothing needs action.").waitFor();
    assert.equal(await navLink.locator(".nav-count").count(), 0, "no count when none waits");
    const open = await (await app.admin("GET", "/api/admin/pnc/events?needsAction=true")).json();
    assert.deepEqual(open.events, []);
  },
);

/** Logs the test admin in through the login form and waits for the live dashboard. */
async function logInToDashboard(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/admin`);
  await page.getByLabel("Email").fill("ops@example.com");
  await page.getByLabel("Password").fill("correct-horse-battery");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Live sessions" }).waitFor();
}
