// The partner page's deliveries out: health, the failing banner, test connection, the list with Retry.
import { RetriedNotice, Stat } from "./Stats.tsx";
import type { PartnerDeliveriesPage } from "../lib/partner_deliveries/health.ts";
import type { PingResult } from "../lib/partner_deliveries/service.ts";
import { formatDate } from "./format.ts";

export interface PartnerDeliveriesProps {
  base: string;
  hasUrl: boolean;
  csrf: string;
  page: PartnerDeliveriesPage;
  /** The answer of a Test connection just made. */
  ping?: PingResult;
  /** How many deliveries a Retry just queued again. */
  retried?: number;
}

const STATUS_BADGE = {
  failed: "badge badge-warn",
  pending: "badge",
  delivered: "badge badge-live",
};

/** A section of `/admin/partners/:id`; its forms post to `…/deliveries/retry` and `…/ping`. */
export function PartnerDeliveries(
  { base, hasUrl, csrf, page, ping, retried }: PartnerDeliveriesProps,
) {
  const { deliveries, total, health } = page;
  const failed = deliveries.some((d) => d.status === "failed");
  const csrfField = <input type="hidden" name="_csrf" value={csrf} />;
  return (
    <section id="deliveries">
      <div class="section-head">
        <h2>Deliveries out</h2>
        <div class="actions">
          <form method="post" action={`${base}/deliveries/retry`} class="inline">
            {csrfField}
            <button type="submit" class="button secondary small" disabled={!failed}>
              Retry all failed
            </button>
          </form>
          <form method="post" action={`${base}/ping`} class="inline">
            {csrfField}
            <button type="submit" class="button secondary small" disabled={!hasUrl}>
              Test connection
            </button>
          </form>
        </div>
      </div>
      {health.failingLong > 0 && (
        <p class="alert" data-testid="failing-banner">
          {health.failingLong} {health.failingLong === 1 ? "delivery has" : "deliveries have"}{" "}
          not been delivered for more than 24 hours. Check the webhook URL and the partner's
          endpoint, then retry the failed ones.
        </p>
      )}
      {!hasUrl && deliveries.some((d) => d.status === "pending") && (
        <p class="notice" data-testid="no-url-notice">
          No webhook URL: pending deliveries wait and go out once a URL is saved in Settings. No new
          events are queued for this partner until then.
        </p>
      )}
      {ping && <PingOutcome ping={ping} />}
      <RetriedNotice count={retried} one="delivery" many="deliveries" />
      <div class="stat-grid delivery-health">
        <Stat
          title="Last success"
          value={health.lastDeliveredAt ? formatDate(health.lastDeliveredAt) : "Never"}
          testid="last-success"
        />
        <Stat
          title="Failed attempts, 24 h"
          value={health.failedShare === null ? "—" : `${Math.round(health.failedShare * 100)} %`}
          testid="failed-share"
        >
          <p class="muted small">
            {health.attempts === 0
              ? "No attempts on deliveries created in the last 24 h."
              : `${health.failedAttempts} of ${health.attempts} attempts on deliveries created in the last 24 h.`}
          </p>
        </Stat>
        <Stat title="Undelivered after 24 h" value={health.failingLong} />
      </div>
      {deliveries.length === 0
        ? (
          <p class="empty">
            {hasUrl
              ? "Nothing sent to this partner yet."
              : "No webhook URL: set one in Settings to send this partner events."}
          </p>
        )
        : (
          <>
            {total > deliveries.length && (
              <p class="muted small">
                Showing {deliveries.length} of {total}{" "}
                deliveries: failed first, then pending, then the latest delivered. The admin API
                lists them by status.
              </p>
            )}
            <table class="table deliveries">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Type</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last status</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Next attempt</th>
                  <th scope="col">Created</th>
                  <th scope="col">Delivered</th>
                  <th scope="col">
                    <span class="visually-hidden">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id} data-testid={`delivery-${d.id}`}>
                    <td class="mono small" title={`Event ${d.eventId}`}>{d.id}</td>
                    <td class="mono small">{d.type}</td>
                    <td>
                      <span class={STATUS_BADGE[d.status]}>{d.status}</span>
                    </td>
                    <td>{d.attempts}</td>
                    <td class="mono">{d.lastStatus ?? "—"}</td>
                    <td class="small error-text">{d.lastError ?? "—"}</td>
                    <td class="small">
                      {d.status === "pending" ? formatDate(d.nextAttemptAt) : "—"}
                    </td>
                    <td class="small">{formatDate(d.createdAt)}</td>
                    <td class="small">{d.deliveredAt ? formatDate(d.deliveredAt) : "—"}</td>
                    <td>
                      {d.status === "failed" && (
                        <form method="post" action={`${base}/deliveries/retry`} class="inline">
                          {csrfField}
                          <input type="hidden" name="id" value={String(d.id)} />
                          <button
                            type="submit"
                            class="button small"
                            aria-label={`Retry delivery ${d.id}`}
                          >
                            Retry
                          </button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
    </section>
  );
}

/** What Test connection came to: ok, the HTTP status, the error, the time taken. */
function PingOutcome({ ping }: { ping: PingResult }) {
  const parts = [
    ping.status === null ? null : `HTTP ${ping.status}`,
    ping.ms === null ? null : `${Math.round(ping.ms)} ms`,
  ].filter(Boolean).join(" · ");
  return (
    <p class={ping.ok ? "notice ok" : "alert"} role="status" data-testid="ping-result">
      <strong>{ping.ok ? "Test connection: OK" : "Test connection failed"}</strong>
      {parts && ` · ${parts}`}
      {/* "HTTP 503" says no more than the status already shown. */}
      {ping.error && ping.error !== `HTTP ${ping.status}` && ` · ${ping.error}`}
    </p>
  );
}
