// The HTTP client the LLM gateway forwards agent calls with (SPEC §12). Upstream base_urls come from customers, so
// unless SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS=1 every connection is refused when it would reach a non-public address
// (upstream-address.ts). The check runs inside the connect step, on the addresses the socket actually uses, not on an
// earlier look-up: a name that resolves to a public address when the base_url is saved and to 169.254.169.254 a
// second later (DNS rebinding) is refused at the second look-up, because that one is the look-up the socket uses.
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { isPublicAddress } from './upstream-address.js';

/**
 * Redirects from an upstream are never followed: undici's `dispatcher.request()` / `dispatch()` hand a 3xx back as
 * it is, and follow one only through its redirect interceptor, which this dispatcher does not compose (do not add
 * one). A followed redirect would leave the base_url that was checked — https to http, another host — with the
 * provider key in its headers. Note that `fetch()` follows redirects itself whatever the dispatcher: call the
 * upstream with `dispatcher.request()`, or give fetch `redirect: 'manual'`.
 */
export const UPSTREAM_FOLLOWS_REDIRECTS = false;

/** The default timeouts and idle time of upstream connections, in milliseconds. */
export const UPSTREAM_DEFAULTS = {
  /** TCP (and TLS) connect, including the DNS look-up. */
  connectTimeoutMs: 10_000,
  /** Until the response headers: a non-streamed LLM call can think for minutes before it answers at all. */
  headersTimeoutMs: 600_000,
  /** Between two chunks of the response body (a stream's frames). */
  bodyTimeoutMs: 300_000,
  /** How long an idle pooled connection is kept for the next call (a server's Keep-Alive hint may lower it). */
  keepAliveTimeoutMs: 30_000,
  /** The most a server's Keep-Alive hint may raise the idle time to. */
  keepAliveMaxTimeoutMs: 60_000,
} as const;

/**
 * A connection to an upstream was refused because its address is not public (private, loopback, link-local /
 * cloud metadata, reserved…). The message names the host as configured, never the resolved address (that stays in
 * `address`, for logs: answering it to the customer would map the inside of the network for them).
 */
export class UpstreamAddressRefused extends Error {
  override readonly name = 'UpstreamAddressRefused';
  readonly code = 'SG_UPSTREAM_ADDRESS_REFUSED';

  constructor(
    /** The upstream host as configured in the base_url (a name or an IP literal). */
    readonly host: string,
    /** The non-public address it is or resolved to. */
    readonly address: string,
  ) {
    super(
      isIP(host) !== 0
        ? `upstream ${host} is a private, loopback or reserved address; Spendguard does not connect to it`
        : `upstream ${host} resolves to a private, loopback or reserved address; Spendguard does not connect to it`,
    );
  }
}

/**
 * `lookup` with every answer checked: it resolves all addresses of the name and fails with `UpstreamAddressRefused`
 * when any of them is not public (one good address among bad ones does not make a name safe: the connection may try
 * them all). Answers in the form Node asked for (`all` or a single address).
 */
export function refusingLookup(lookup: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, result, family) => {
      if (err) {
        callback(err, '');
        return;
      }
      const addresses =
        typeof result === 'string' ? [{ address: result, family: family ?? isIP(result) }] : result;
      const first = addresses[0];
      if (first === undefined) {
        callback(Object.assign(new Error(`upstream ${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        return;
      }
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused !== undefined) {
        callback(new UpstreamAddressRefused(hostname, refused.address), '');
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * `connector` with the address checks that the look-up cannot do: an IP-literal host (Node connects to it without a
 * look-up) is refused before any socket exists, and — belt and braces — a socket whose peer address is not public is
 * destroyed before a single request byte is written to it.
 */
export function guardConnector(connector: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    const host = options.hostname;
    if (isIP(host) !== 0 && !isPublicAddress(host)) {
      const refusal = new UpstreamAddressRefused(host, host);
      process.nextTick(() => callback(refusal, null));
      return;
    }
    connector(options, (err, socket) => {
      if (err !== null) {
        callback(err, null);
        return;
      }
      const peer = socket.remoteAddress;
      if (peer === undefined || !isPublicAddress(peer)) {
        socket.on('error', () => {}).destroy();
        callback(new UpstreamAddressRefused(host, peer ?? 'unknown'), null);
        return;
      }
      callback(null, socket);
    });
  };
}

export type UpstreamDispatcherOptions = {
  /** SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: connect to any address (self-hosted model servers, tests). */
  allowPrivate: boolean;
  /** The DNS look-up (default `dns.lookup`); tests inject one, since no DNS server answers arbitrary names here. */
  lookup?: LookupFunction;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
};

/**
 * The dispatcher for upstream calls: an undici Agent (a keep-alive connection pool per origin) whose connections,
 * unless `allowPrivate`, only ever reach public addresses. A refused connection fails the request with
 * `UpstreamAddressRefused`; no redirect is ever followed (`UPSTREAM_FOLLOWS_REDIRECTS`).
 */
export function createUpstreamDispatcher(options: UpstreamDispatcherOptions): Dispatcher {
  const lookup = options.lookup ?? (dns.lookup as LookupFunction);
  const connector = buildConnector({
    timeout: options.connectTimeoutMs ?? UPSTREAM_DEFAULTS.connectTimeoutMs,
    lookup: options.allowPrivate ? lookup : refusingLookup(lookup),
  });
  return new Agent({
    connect: options.allowPrivate ? connector : guardConnector(connector),
    headersTimeout: options.headersTimeoutMs ?? UPSTREAM_DEFAULTS.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs ?? UPSTREAM_DEFAULTS.bodyTimeoutMs,
    keepAliveTimeout: UPSTREAM_DEFAULTS.keepAliveTimeoutMs,
    keepAliveMaxTimeout: UPSTREAM_DEFAULTS.keepAliveMaxTimeoutMs,
  });
}
