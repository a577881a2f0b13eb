/**
 * SSRF guard for partner webhooks (issue 13 §4, stricter than seed 003's): which
 * URLs ExpresSync may POST to, judged on the URL and on every address its name
 * resolves to.
 *
 * - Always refused: `0.0.0.0/8`, `169.254.0.0/16`, `100.64.0.0/10`, `224.0.0.0/4`,
 *   `240.0.0.0/4` (with `255.255.255.255`), the IETF and documentation ranges
 *   (`192.0.0.0/24`, `192.0.2.0/24`, `198.18.0.0/15`, `198.51.100.0/24`,
 *   `203.0.113.0/24`, `192.88.99.0/24`), `::`, `fe80::/10`, `ff00::/8`, Teredo and
 *   the other IETF/documentation IPv6 ranges, any IPv6 address outside global
 *   unicast `2000::/3`, any address with a zone id, and cloud metadata names.
 * - Refused unless `allowLocal`: `127.0.0.0/8`, `10/8`, `172.16/12`, `192.168/16`,
 *   `::1`, `fc00::/7`, `fec0::/10`, `64:ff9b:1::/48`, `localhost` and `*.localhost`,
 *   and `http:` (only `https:` otherwise).
 * - IPv4 inside IPv6 (`::ffff:a.b.c.d`, `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 *   `2002::/16`) is judged as that IPv4 address. Every IPv4 spelling
 *   (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) is normalized by the WHATWG URL
 *   parser, and by ipaddr.js for resolver answers.
 */
import ipaddr from "ipaddr.js";

/** Answers every address (IPv4 and IPv6) of a host name; throws when it has none. */
export type ResolveHostname = (hostname: string) => Promise<string[]>;

export interface DestinationOptions {
  /** `PARTNER_WEBHOOKS_ALLOW_LOCAL`: loopback, private ranges and `http:` allowed. */
  allowLocal: boolean;
  resolve: ResolveHostname;
}

export type DestinationVerdict =
  | { ok: true; url: URL; addresses: string[] }
  | { ok: false; reason: "blocked_destination"; detail: string };

/** At attempt time a name that does not resolve is a network failure (retried), not a block. */
export type AttemptDestination =
  | DestinationVerdict
  | { ok: false; reason: "unresolved"; detail: string };

const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "metadata.azure.internal",
  "metadata.internal",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.packet.net",
  "metadata.platformequinix.com",
]);

type Rule = [cidr: string, verdict: "always" | "local"];

const IPV4_RULES: Rule[] = [
  ["0.0.0.0/8", "always"],
  ["169.254.0.0/16", "always"],
  ["100.64.0.0/10", "always"],
  ["224.0.0.0/4", "always"],
  ["240.0.0.0/4", "always"], // includes 255.255.255.255
  ["192.0.0.0/24", "always"],
  ["192.0.2.0/24", "always"],
  ["192.88.99.0/24", "always"],
  ["198.18.0.0/15", "always"],
  ["198.51.100.0/24", "always"],
  ["203.0.113.0/24", "always"],
  ["127.0.0.0/8", "local"],
  ["10.0.0.0/8", "local"],
  ["172.16.0.0/12", "local"],
  ["192.168.0.0/16", "local"],
];

const IPV6_RULES: Rule[] = [
  ["::/128", "always"],
  ["::1/128", "local"],
  ["fe80::/10", "always"],
  ["ff00::/8", "always"],
  ["fc00::/7", "local"],
  ["fec0::/10", "local"],
  ["64:ff9b:1::/48", "local"],
  ["100::/64", "always"],
  ["2001::/23", "always"], // IETF protocol assignments, Teredo 2001::/32 included
  ["2001:db8::/32", "always"],
  ["3fff::/20", "always"],
];

function parseRules(rules: Rule[]) {
  return rules.map(([cidr, verdict]) => ({ cidr, verdict, range: ipaddr.parseCIDR(cidr) }));
}
const V4 = parseRules(IPV4_RULES);
const V6 = parseRules(IPV6_RULES);
const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

/** Why `address` is refused, or null when it may be reached. */
export function refusalOfAddress(address: string, allowLocal: boolean): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return `not an IP address: ${address}`;
  }
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.zoneId) return `scoped address ${v6.toString()}`;
    const embedded = embeddedIpv4(v6);
    if (embedded) {
      const inner = refusalOfIpv4(embedded, allowLocal);
      return inner && `${v6.toString()} embeds ${inner}`;
    }
    for (const rule of V6) {
      if (v6.match(rule.range) && (rule.verdict === "always" || !allowLocal)) {
        return `${v6.toString()} is in ${rule.cidr}`;
      }
      if (v6.match(rule.range)) return null;
    }
    return v6.match(GLOBAL_UNICAST) ? null : `${v6.toString()} is not global unicast`;
  }
  return refusalOfIpv4(parsed as ipaddr.IPv4, allowLocal);
}

function refusalOfIpv4(v4: ipaddr.IPv4, allowLocal: boolean): string | null {
  for (const rule of V4) {
    if (v4.match(rule.range) && (rule.verdict === "always" || !allowLocal)) {
      return `${v4.toString()} is in ${rule.cidr}`;
    }
  }
  return null;
}

/** The IPv4 address an IPv6 one carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIpv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const fromWords = (hi: number, lo: number) =>
    new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((w) => w === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible); :: and ::1 keep their own rules.
  if (zeros(0, 5) && p[5] === 0xffff) return fromWords(p[6], p[7]);
  if (zeros(0, 6) && (p[6] !== 0 || p[7] > 1)) return fromWords(p[6], p[7]);
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return fromWords(p[6], p[7]);
  if (p[0] === 0x2002) return fromWords(p[1], p[2]);
  return null;
}

/** The URL parsed and the host name to resolve, or the refusal of the URL itself. */
function checkUrl(
  raw: string,
  allowLocal: boolean,
): { url: URL; host: string; literal: boolean } | { detail: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { detail: "not a URL" };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && allowLocal)) {
    return { detail: `scheme ${url.protocol} is not allowed` };
  }
  if (url.username || url.password) return { detail: "user info in the URL" };
  // WHATWG has already turned every IPv4 spelling into dotted decimal and lowercased names.
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const name = host.replace(/\.$/, "");
  if (ipaddr.isValid(name)) return { url, host: name, literal: true };
  if (METADATA_NAMES.has(name)) return { detail: `cloud metadata name ${name}` };
  if (!allowLocal && (name === "localhost" || name.endsWith(".localhost"))) {
    return { detail: `local name ${name}` };
  }
  return { url, host: name, literal: false };
}

function judgeAddresses(url: URL, addresses: string[], allowLocal: boolean): DestinationVerdict {
  const normalized: string[] = [];
  for (const address of addresses) {
    const refusal = refusalOfAddress(address, allowLocal);
    if (refusal) return { ok: false, reason: "blocked_destination", detail: refusal };
    normalized.push(ipaddr.parse(address).toString());
  }
  return { ok: true, url, addresses: normalized };
}

/**
 * Judges `url` before an attempt: the URL, then every address its name resolves
 * to (resolved once, here). The answer's `addresses` are the only ones to connect to.
 */
export async function checkDestination(
  url: string,
  options: DestinationOptions,
): Promise<AttemptDestination> {
  const checked = checkUrl(url, options.allowLocal);
  if ("detail" in checked) {
    return { ok: false, reason: "blocked_destination", detail: checked.detail };
  }
  if (checked.literal) return judgeAddresses(checked.url, [checked.host], options.allowLocal);
  let addresses: string[];
  try {
    addresses = await options.resolve(checked.host);
  } catch (error) {
    return { ok: false, reason: "unresolved", detail: errorCode(error) };
  }
  if (addresses.length === 0) return { ok: false, reason: "unresolved", detail: "no address" };
  return judgeAddresses(checked.url, addresses, options.allowLocal);
}

/**
 * Judges `url` when a partner saves it: a literal address is judged at once, a
 * name resolving to a refused address is refused, a name that does not resolve
 * yet is accepted (`addresses: []`); every attempt checks again.
 */
export async function checkDestinationForSave(
  url: string,
  options: DestinationOptions,
): Promise<DestinationVerdict> {
  const verdict = await checkDestination(url, options);
  if (verdict.ok || verdict.reason === "blocked_destination") return verdict;
  return { ok: true, url: new URL(url), addresses: [] };
}

/** A resolver's failure as a short code (`ENOTFOUND`), never a message with the name. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "error";
}
