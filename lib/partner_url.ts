/**
 * Whether a partner's webhook URL may be saved (issue 13 §4). The one place
 * the save-time rules live: the admin API and pages both come through
 * {@link checkPartnerUrl}, and the SSRF address checks join them here.
 */

import { checkDestinationForSave, type ResolveHostname } from "./outbound/destination.ts";
import { resolveWithSystem } from "./outbound/send.ts";

/** What the URL rules depend on. */
export interface PartnerUrlDeps {
  /** `PARTNER_WEBHOOKS_ALLOW_LOCAL`: `http:` and local addresses allowed. */
  allowLocal: boolean;
  /** Resolves a host name; default the system resolver (tests inject one). */
  resolve?: ResolveHostname;
}

export type PartnerUrlCheck =
  | { ok: true; url: string }
  | { ok: false; reason: string };

/**
 * Accepts an absolute `https:` URL (`http:` too when local destinations are
 * allowed) without user info whose destination the SSRF guard lets through at
 * save time (a literal address judged at once, a name that resolves to a
 * refused address refused, a name that does not resolve yet accepted), and
 * answers it normalized by the URL parser.
 */
export async function checkPartnerUrl(
  url: string,
  deps: PartnerUrlDeps,
): Promise<PartnerUrlCheck> {
  const syntax = await checkPartnerUrlSyntax(url, deps);
  if (!syntax.ok) return syntax;
  const destination = await checkDestinationForSave(syntax.url, {
    allowLocal: deps.allowLocal,
    resolve: deps.resolve ?? resolveWithSystem,
  });
  return destination.ok ? syntax : { ok: false, reason: destination.detail };
}

/** The rules that need no lookup: scheme, absolute, no user info. */
function checkPartnerUrlSyntax(url: string, deps: PartnerUrlDeps): Promise<PartnerUrlCheck> {
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
