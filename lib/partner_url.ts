/**
 * Whether a partner's webhook URL may be saved (issue 13 §4). The one place
 * the save-time rules live: the admin API and pages both come through
 * {@link checkPartnerUrl}, and the SSRF address checks join them here.
 */

/** What the URL rules depend on. */
export interface PartnerUrlDeps {
  /** `PARTNER_WEBHOOKS_ALLOW_LOCAL`: `http:` (and, with the SSRF guard, local addresses) allowed. */
  allowLocal: boolean;
}

export type PartnerUrlCheck =
  | { ok: true; url: string }
  | { ok: false; reason: string };

/**
 * Accepts an absolute `https:` URL (`http:` too when local destinations are
 * allowed) without user info, and answers it normalized by the URL parser.
 * Async so that checks needing a DNS lookup fit the same signature.
 */
export function checkPartnerUrl(url: string, deps: PartnerUrlDeps): Promise<PartnerUrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, reason: "is not an absolute URL" });
  }
  const schemes = deps.allowLocal ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(parsed.protocol)) {
    return Promise.resolve({
      ok: false,
      reason: deps.allowLocal ? "must be an https: or http: URL" : "must be an https: URL",
    });
  }
  if (parsed.username || parsed.password) {
    return Promise.resolve({ ok: false, reason: "must not carry a user name or password" });
  }
  return Promise.resolve({ ok: true, url: parsed.href });
}
