// Which addresses an LLM gateway upstream may be (SPEC §12): a customer's `base_url` must be https to a public
// address unless SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1, so a customer cannot point Spendguard's own requests (with
// the stored provider key attached) at the cloud metadata service, the database, or anything else on the inside.
// `checkBaseUrl` is the fast check when a base_url is saved; the binding one runs at connect time
// (upstream-dispatcher.ts) on the very addresses the socket connects to, since a name can resolve differently later.
import { BlockList, isIP } from 'node:net';

/** IPv4 ranges that are never a public upstream (RFC 6890 special-purpose and friends). */
const IPV4_REFUSED: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. 255.255.255.255 broadcast
];

/**
 * IPv6 ranges that are never a public upstream. Beyond these, an IPv6 address outside global unicast 2000::/3 is
 * refused too (nothing else is assigned for public use), and addresses that embed an IPv4 address (mapped, NAT64,
 * 6to4, SIIT) are judged by that IPv4 address.
 */
const IPV6_REFUSED: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated; never routed as public)
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo (the embedded IPv4 addresses are obfuscated)
  ['2001:2::', 48], // benchmarking
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 AWS metadata
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const refusedV4 = new BlockList();
for (const [network, prefix] of IPV4_REFUSED) refusedV4.addSubnet(network, prefix, 'ipv4');
refusedV4.addAddress('255.255.255.255', 'ipv4');

const refusedV6 = new BlockList();
for (const [network, prefix] of IPV6_REFUSED) refusedV6.addSubnet(network, prefix, 'ipv6');

const globalUnicastV6 = new BlockList();
globalUnicastV6.addSubnet('2000::', 3, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (no zone id). */
function ipv6Groups(ip: string): number[] {
  // The URL parser is the WHATWG one: it validates, lowercases and turns a trailing dotted quad into hex groups.
  const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const dottedQuad = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address stands for (IPv4-mapped, SIIT-translated, NAT64, 6to4), if any. */
function embeddedIpv4(g: number[]): string | undefined {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated)
  if (zero(0, 5) && g[5] === 0xffff) return dottedQuad(g[6]!, g[7]!);
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return dottedQuad(g[6]!, g[7]!);
  // 64:ff9b::a.b.c.d (well-known NAT64 prefix)
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return dottedQuad(g[6]!, g[7]!);
  // 2002:AABB:CCDD::/48 (6to4)
  if (g[0] === 0x2002) return dottedQuad(g[1]!, g[2]!);
  return undefined;
}

/**
 * Whether `ip` is a public unicast address that an upstream may be. Anything that is not an IP address, and any
 * private, loopback, link-local (cloud metadata), CGNAT, documentation, benchmarking, multicast or reserved address
 * is not; an IPv6 address that embeds an IPv4 address (`::ffff:a.b.c.d`, `64:ff9b::/96`, `2002::/16`) is judged by the
 * IPv4 address.
 */
export function isPublicAddress(ip: string): boolean {
  // A zone id (`fe80::1%eth0`) only ever comes with link-local addresses; judge the address itself.
  const address = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  const family = isIP(address);
  if (family === 4) return !refusedV4.check(address, 'ipv4');
  if (family !== 6) return false;
  const groups = ipv6Groups(address);
  const v4 = embeddedIpv4(groups);
  if (v4 !== undefined) return !refusedV4.check(v4, 'ipv4');
  const canonical = groups.map((g) => g.toString(16)).join(':');
  return globalUnicastV6.check(canonical, 'ipv6') && !refusedV6.check(canonical, 'ipv6');
}

export type BaseUrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

/**
 * Whether `raw` may be a provider's `base_url`: an absolute http(s) URL without credentials, query or fragment, and —
 * unless private upstreams are allowed — https to a host that is not a private, loopback or reserved IP literal.
 * A name is not resolved here (it may resolve differently by the time of a call): the upstream dispatcher checks the
 * resolved addresses on every connection. `problem` is written for a 400 response's detail.
 */
export function checkBaseUrl(raw: string, allowPrivate: boolean): BaseUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'must be an absolute URL, e.g. https://api.openai.com/v1' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, problem: allowPrivate ? 'must use http or https' : 'must use https' };
  }
  if (url.protocol === 'http:' && !allowPrivate) return { ok: false, problem: 'must use https' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'must not contain a username or password (the API key is set separately)' };
  }
  // `href` keeps a bare `?` or `#` that `search` and `hash` report as empty.
  if (url.href.includes('?') || url.href.includes('#')) {
    return { ok: false, problem: 'must not contain a query or fragment' };
  }
  if (!allowPrivate && namesPrivateHost(url)) {
    return { ok: false, problem: 'must not point to a private, loopback or reserved address' };
  }
  return { ok: true, url };
}

/**
 * Whether the URL's host is, as written, a private, loopback or reserved IP literal or a `localhost` name (RFC 6761:
 * loopback wherever it resolves). Other names are checked where they are connected to (upstream-dispatcher.ts).
 */
export function namesPrivateHost(url: URL): boolean {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const loopbackName = name === 'localhost' || name.endsWith('.localhost');
  return (isIP(host) !== 0 && !isPublicAddress(host)) || loopbackName;
}
