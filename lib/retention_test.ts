import assert from "node:assert/strict";
import { type SQL, sql } from "drizzle-orm";
import { setBillingState } from "../db/queries/billing.ts";
import { insertPartner } from "../db/queries/partners.ts";
import { forEachDatabase } from "../tests/_support/db.ts";
import { WATERMARK_KEY } from "./billing/reconcile.ts";
import { ManualClock } from "./clock.ts";
import { pruneOnce } from "./maintenance.ts";
import { pruneExpiredHistory } from "./retention.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");
const DAY = 24 * 3600 * 1000;
/** `days` before NOW, less `ms` more: `ago(90, 1)` is one millisecond past 90 days. */
const ago = (days: number, ms = 0) => new Date(NOW - days * DAY - ms).toISOString();
const config = { retentionDays: 90, reconcileLookbackHours: 48 };

forEachDatabase(
  "retention - settled history past RETENTION_DAYS goes in batches; open, recent and owed rows stay",
  async (t, db) => {
    const session = (pk: number, started: string, ended: string | null) =>
      db.rows(sql`
        insert into live_sessions (transaction_pk, charge_box_id, connector_id, started_at,
          last_reading_at, updated_at, ended_at, resolve_next_at)
        values (${pk}, 'CB', 1, ${started}::timestamptz, ${started}::timestamptz,
          ${started}::timestamptz, ${ended}::timestamptz, ${started}::timestamptz)`);
    await session(1, ago(101), ago(100)); // settled long ago
    await session(2, ago(120), null); // still open
    await session(3, ago(100), ago(1)); // ended within the sweep's lookback
    await session(4, ago(150), ago(140)); // settled, unless the sweep's watermark reaches it
    // Transaction 5 has no session at all.

    const event = (label: string, pk: number, status: string, delivered: string | null) =>
      db.rows(sql`
        insert into usage_events (transaction_pk, event_id, kind, delta_mwh, occurred_at, status,
          next_attempt_at, created_at, delivered_at)
        values (${pk}, ${label}, 'reading', 1000, ${ago(200)}::timestamptz, ${status},
          ${ago(200)}::timestamptz, ${ago(200)}::timestamptz, ${delivered}::timestamptz)`);
    await event("ev-1-past", 1, "delivered", ago(90, 1));
    await event("ev-1-edge", 1, "delivered", ago(90));
    for (const status of ["pending", "unbillable", "dead", "held"]) {
      await event(`ev-1-${status}`, 1, status, null);
    }
    await event("ev-2-open", 2, "delivered", ago(100));
    await event("ev-3-lookback", 3, "delivered", ago(100));
    await event("ev-4-watermark", 4, "delivered", ago(140));

    const sample = (label: string, pk: number, received: string, n = 1) =>
      db.rows(sql`
        insert into meter_samples (transaction_pk, sampled_at, measurand, phase, format,
          charge_box_id, connector_id, value, received_at)
        select ${pk}, ${received}::timestamptz + i * interval '1 second', ${label}, '', 'Raw',
          'CB', 1, '1', ${received}::timestamptz
        from generate_series(1, ${n}::int) i`);
    await sample("s-1-past", 1, ago(90, 1), 7);
    await sample("s-1-edge", 1, ago(90));
    await sample("s-2-open", 2, ago(120));
    await sample("s-3-lookback", 3, ago(100));
    await sample("s-4-watermark", 4, ago(140));
    await sample("s-5-no-session", 5, ago(100));

    const pnc = (label: string, received: string, needsAction: boolean, acked: boolean) =>
      db.rows(sql`
        insert into pnc_events (event_id, event_type, needs_action, acknowledged_at,
          payload_json, received_at)
        values (${label}, 'X', ${needsAction}, ${acked ? received : null}::timestamptz, '{}',
          ${received}::timestamptz)`);
    await pnc("pnc-past-info", ago(100), false, false);
    await pnc("pnc-past-acknowledged", ago(100), true, true);
    await pnc("pnc-past-open", ago(100), true, false);
    await pnc("pnc-edge", ago(90), false, false);

    const partnerId = (await insertPartner(db, {
      id: crypto.randomUUID(),
      name: "P",
      signatureScheme: "sha256",
      signatureHeader: "X-ExpresSync-Signature",
      secret: "s".repeat(64),
      url: null,
      events: [],
      now: new Date(NOW - 200 * DAY),
    })).id;
    for (const [label, received] of [["pe-past", ago(90, 1)], ["pe-edge", ago(90)]]) {
      await db.rows(sql`
        insert into partner_events (partner_id, dedup_key, event_type, body_json, received_at)
        values (${partnerId}::uuid, ${label}, 'x', '{}', ${received}::timestamptz)`);
    }

    const mail = (label: string, status: string, created: string) =>
      db.rows(sql`
        insert into email_messages (id, purpose, to_address, subject, text, status, attempts,
          next_attempt_at, created_at)
        values (${label}, 'receipt', 'a@example.test', 'S', 'T', ${status}, 1,
          ${created}::timestamptz, ${created}::timestamptz)`);
    await mail("mail-past-sent", "sent", ago(90, 1));
    await mail("mail-past-failed", "failed", ago(100));
    await mail("mail-past-pending", "pending", ago(100));
    await mail("mail-edge-sent", "sent", ago(90));

    const left = async () => ({
      events: (await db.rows<{ l: string }>(sql`select event_id as l from usage_events`))
        .map((r) => r.l).sort(),
      samples: (await db.rows<{ l: string }>(sql`
        select distinct measurand as l from meter_samples`)).map((r) => r.l).sort(),
      pnc: (await db.rows<{ l: string }>(sql`select event_id as l from pnc_events`))
        .map((r) => r.l).sort(),
      partner: (await db.rows<{ l: string }>(sql`select dedup_key as l from partner_events`))
        .map((r) => r.l).sort(),
      mail: (await db.rows<{ l: string }>(sql`select id as l from email_messages`))
        .map((r) => r.l).sort(),
    });
    const clock = new ManualClock(NOW);
    const kept = {
      events: [
        "ev-1-dead",
        "ev-1-edge",
        "ev-1-held",
        "ev-1-pending",
        "ev-1-unbillable",
        "ev-2-open",
        "ev-3-lookback",
        "ev-4-watermark",
      ],
      samples: ["s-1-edge", "s-2-open", "s-3-lookback", "s-4-watermark"],
      pnc: ["pnc-edge", "pnc-past-open"],
      partner: ["pe-edge"],
      mail: ["mail-edge-sent", "mail-past-pending"],
    };

    await t.step(
      "the sweep's watermark 160 days back keeps every transaction started since",
      async () => {
        await setBillingState(db, { key: WATERMARK_KEY, value: ago(160), now: new Date(NOW) });
        const result = await pruneExpiredHistory({ db, clock, config });
        assert.deepEqual(result, {
          usageEvents: 0,
          meterSamples: 1,
          pncEvents: 2,
          partnerEvents: 1,
          emailMessages: 2,
        });
        assert.deepEqual(await left(), {
          ...kept,
          events: [...kept.events, "ev-1-past"].sort(),
          samples: [...kept.samples, "s-1-past"].sort(),
        });
      },
    );

    await t.step("once the watermark has moved on, the rest goes, in batches", async () => {
      await setBillingState(db, { key: WATERMARK_KEY, value: ago(1), now: new Date(NOW) });
      // How many rows each statement answered: the deletes return one per row deleted.
      const answered: number[] = [];
      const counted = {
        ...db,
        rows: async <T>(q: SQL) => {
          const rows = await db.rows<T>(q);
          answered.push(rows.length);
          return rows;
        },
      };
      const result = await pruneExpiredHistory({ db: counted, clock, config }, 3);
      assert.deepEqual(result, {
        usageEvents: 2,
        meterSamples: 8,
        pncEvents: 0,
        partnerEvents: 0,
        emailMessages: 0,
      });
      assert.deepEqual(await left(), {
        ...kept,
        events: kept.events.filter((l) => l !== "ev-4-watermark"),
        samples: kept.samples.filter((l) => l !== "s-4-watermark"),
      });
      assert.ok(Math.max(...answered) <= 3, `statements answered ${answered}: batches of 3`);
      assert.ok(answered.filter((n) => n === 3).length >= 2, "8 samples took several batches");
    });

    await t.step(
      "maintenance with RETENTION_DAYS=1 never cuts into the lookback or open sessions",
      async () => {
        const short = {
          retentionDays: 1,
          reconcileLookbackHours: 48,
          partnerDeliveriesRetentionDays: 1,
        };
        await pruneOnce({ db, clock, config: short });
        assert.deepEqual(await left(), {
          events: [
            "ev-1-dead",
            "ev-1-held",
            "ev-1-pending",
            "ev-1-unbillable",
            "ev-2-open",
            "ev-3-lookback",
          ],
          samples: ["s-2-open", "s-3-lookback"],
          pnc: ["pnc-past-open"],
          partner: [],
          mail: ["mail-past-pending"],
        });
      },
    );
  },
);
