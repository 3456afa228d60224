// The gateway's upstream HTTP client (SPEC §12) against real sockets on this machine: unless private upstreams are
// allowed, no connection reaches a non-public address — IP literals, names that resolve to one (a DNS double stands
// in for the names: no DNS server here answers them), and a socket whose peer turns out private — and the local
// server then sees no connection at all; redirects are returned, not followed; timeouts are bounded; connections are
// reused. Only 127.0.0.1 and ::1 are ever connected to: the private addresses a double hands out are refused before
// any socket connects, and the test asserts that no socket connected anywhere.
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { Agent, buildConnector, type Dispatcher, request } from 'undici';
import {
  createUpstreamDispatcher,
  guardConnector,
  refusingLookup,
  UPSTREAM_DEFAULTS,
  UPSTREAM_FOLLOWS_REDIRECTS,
  UpstreamAddressRefused,
} from '../../src/gateway/upstream-dispatcher.js';

const SECRET = 'sk-test-secret-0123456789';

type Local = {
  port: number;
  connections: number;
  requests: number;
  /** The client port of each request the server received (one value = one connection). */
  clientPorts: number[];
  close(): Promise<void>;
};

/** An HTTP server on 127.0.0.1 and, where IPv6 is up, [::1] at the same port, counting what reaches it. */
async function localServer(
  handler: http.RequestListener = (_req, res) => res.end('ok'),
  { v6 = true } = {},
): Promise<Local> {
  const servers: http.Server[] = [];
  const local: Local = {
    port: 0,
    connections: 0,
    requests: 0,
    clientPorts: [],
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
  const listen = (host: string, port: number) => {
    const server = http.createServer((req, res) => {
      local.requests += 1;
      local.clientPorts.push(req.socket.remotePort ?? -1);
      handler(req, res);
    });
    server.on('connection', () => {
      local.connections += 1;
    });
    return new Promise<http.Server>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  };
  const v4 = await listen('127.0.0.1', 0);
  servers.push(v4);
  local.port = (v4.address() as AddressInfo).port;
  if (v6) {
    try {
      servers.push(await listen('::1', local.port));
    } catch {
      // No IPv6 loopback here (or the port is taken on it): the [::1] case skips itself.
    }
  }
  return local;
}

async function get(dispatcher: Dispatcher, url: string) {
  const { origin, pathname } = new URL(url);
  const res = await dispatcher.request({
    origin,
    path: pathname,
    method: 'GET',
    headers: { authorization: `Bearer ${SECRET}` },
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** A DNS double: each name answers the given addresses; any other name is not found. Records the names asked. */
function fakeDns(answers: Record<string, LookupAddress[]>) {
  const asked: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    setImmediate(() => {
      if (addresses === undefined) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
      } else if (options.all) {
        callback(null, addresses);
      } else {
        callback(null, addresses[0]?.address ?? '', addresses[0]?.family);
      }
    });
  };
  return { lookup, asked };
}

const v4 = (address: string): LookupAddress => ({ address, family: 4 });
const v6 = (address: string): LookupAddress => ({ address, family: 6 });

// Every socket undici connects, to any address: a refusal must leave this empty.
let connected = 0;
const onConnected = () => {
  connected += 1;
};
before(() => diagnostics.subscribe('undici:client:connected', onConnected));
after(() => diagnostics.unsubscribe('undici:client:connected', onConnected));
beforeEach(() => {
  connected = 0;
});

const open: Array<{ close(): Promise<unknown> }> = [];
/** Closed after the test, even when it fails. */
function track<T extends { close(): Promise<unknown> }>(thing: T): T {
  open.push(thing);
  return thing;
}
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function assertRefused(dispatcher: Dispatcher, url: string, host: string) {
  await assert.rejects(get(dispatcher, url), (err: unknown) => {
    assert.ok(err instanceof UpstreamAddressRefused, `not a refusal: ${String(err)}`);
    assert.equal(err.code, 'SG_UPSTREAM_ADDRESS_REFUSED');
    assert.equal(err.host, host);
    assert.ok(err.message.includes(host), err.message);
    assert.match(err.message, /private, loopback or reserved address/);
    assert.ok(!err.message.includes(SECRET));
    return true;
  });
}

describe('upstream dispatcher, private upstreams not allowed', () => {
  it('refuses an IPv4 loopback literal before any connection', async () => {
    const server = track(await localServer());
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false }));
    await assertRefused(dispatcher, `http://127.0.0.1:${server.port}/v1/models`, '127.0.0.1');
    // The pool is not left stuck: the next call to the same origin is refused the same way.
    await assertRefused(dispatcher, `http://127.0.0.1:${server.port}/v1/models`, '127.0.0.1');
    assert.equal(server.connections, 0);
    assert.equal(server.requests, 0);
    assert.equal(connected, 0);
  });

  it('refuses an IPv6 loopback literal, and loopback written as an IPv4-mapped address', async (t) => {
    const server = track(await localServer());
    const probe = createUpstreamDispatcher({ allowPrivate: true });
    const reachable = await get(probe, `http://[::1]:${server.port}/`).then(
      () => true,
      () => false,
    );
    await probe.close();
    if (!reachable) {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    server.connections = 0;
    server.requests = 0;
    connected = 0;
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false }));
    await assertRefused(dispatcher, `http://[::1]:${server.port}/`, '::1');
    await assertRefused(dispatcher, `http://[::ffff:127.0.0.1]:${server.port}/`, '::ffff:7f00:1');
    assert.equal(server.connections, 0);
    assert.equal(server.requests, 0);
    assert.equal(connected, 0);
  });

  it('refuses a name that resolves to loopback (localhost, through the real resolver)', async () => {
    const server = track(await localServer());
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false }));
    await assertRefused(dispatcher, `http://localhost:${server.port}/`, 'localhost');
    assert.equal(server.connections, 0);
    assert.equal(server.requests, 0);
    assert.equal(connected, 0);
  });

  for (const [name, address] of [
    ['internal.test', v4('10.0.0.5')],
    ['metadata.test', v4('169.254.169.254')],
    ['ula.test', v6('fd00::1')],
    ['aws-metadata-v6.test', v6('fd00:ec2::254')],
    ['mapped.test', v6('::ffff:10.0.0.5')],
  ] as const) {
    it(`refuses a name that resolves to ${address.address}`, async () => {
      const server = track(await localServer());
      const dns = fakeDns({ [name]: [address] });
      const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false, lookup: dns.lookup }));
      await assertRefused(dispatcher, `http://${name}:${server.port}/v1/chat/completions`, name);
      assert.deepEqual(dns.asked, [name]);
      assert.equal(server.connections, 0);
      assert.equal(server.requests, 0);
      assert.equal(connected, 0);
    });
  }

  it('refuses a name when any of its addresses is not public (here loopback first, then private)', async () => {
    const server = track(await localServer());
    const dns = fakeDns({ 'mixed.test': [v4('127.0.0.1'), v4('10.0.0.5')] });
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false, lookup: dns.lookup }));
    await assertRefused(dispatcher, `https://mixed.test:${server.port}/v1`, 'mixed.test');
    assert.equal(server.connections, 0);
    assert.equal(connected, 0);
  });

  it('passes a resolver failure through unchanged', async () => {
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: false, lookup: fakeDns({}).lookup }));
    await assert.rejects(get(dispatcher, 'https://nowhere.test/v1'), { code: 'ENOTFOUND' });
    assert.equal(connected, 0);
  });
});

describe('refusingLookup', () => {
  const ask = (lookup: LookupFunction, name: string, all: boolean) =>
    new Promise<{ err: unknown; result: unknown; family: unknown }>((resolve) =>
      lookup(name, { all }, (err, result, family) => resolve({ err, result, family })),
    );

  it('refuses a name with one public and one private address (every address is checked)', async () => {
    const dns = fakeDns({ 'split.test': [v4('8.8.8.8'), v4('169.254.169.254')] });
    const { err } = await ask(refusingLookup(dns.lookup), 'split.test', false);
    assert.ok(err instanceof UpstreamAddressRefused);
    assert.equal(err.host, 'split.test');
    assert.equal(err.address, '169.254.169.254');
    assert.ok(!err.message.includes('169.254.169.254'), 'the message does not reveal the resolved address');
  });

  it('asks the resolver for all addresses and answers public ones in the form Node asked for', async () => {
    const answers = [v6('2606:4700::1111'), v4('1.1.1.1')];
    const dns = fakeDns({ 'public.test': answers });
    const all = await ask(refusingLookup(dns.lookup), 'public.test', true);
    assert.equal(all.err, null);
    assert.deepEqual(all.result, answers);
    const one = await ask(refusingLookup(dns.lookup), 'public.test', false);
    assert.equal(one.err, null);
    assert.equal(one.result, '2606:4700::1111');
    assert.equal(one.family, 6);
  });

  it('fails a name without addresses', async () => {
    const { err } = await ask(refusingLookup(fakeDns({ 'empty.test': [] }).lookup), 'empty.test', true);
    assert.equal((err as { code?: string }).code, 'ENOTFOUND');
  });
});

describe('guardConnector: the peer address is checked after connecting (belt and braces)', () => {
  it('destroys a socket whose peer is private before a request byte is written', async () => {
    const server = track(await localServer());
    let bytes = 0;
    const raw = buildConnector({});
    // A connector that goes wrong: whatever host it is asked for, it connects to 127.0.0.1. The host claims to be
    // public, so only the check of the connected socket's peer address can catch it.
    const misrouting: buildConnector.connector = (options, callback) =>
      raw({ ...options, hostname: '127.0.0.1', port: String(server.port) }, (err, socket) => {
        socket?.on('data', (d) => {
          bytes += d.length;
        });
        if (err !== null) callback(err, null);
        else callback(null, socket);
      });
    const agent = track(new Agent({ connect: guardConnector(misrouting) }));
    await assert.rejects(get(agent, `http://8.8.8.8:${server.port}/`), (err: unknown) => {
      assert.ok(err instanceof UpstreamAddressRefused, String(err));
      assert.equal(err.host, '8.8.8.8');
      assert.equal(err.address, '127.0.0.1');
      return true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.connections, 1, 'the misrouted socket did connect');
    assert.equal(server.requests, 0, 'but carried no request');
    assert.equal(bytes, 0);
  });
});

describe('upstream dispatcher, private upstreams allowed', () => {
  it('reaches a local server by IP literal and by name', async () => {
    const server = track(await localServer((req, res) => res.end(`path ${req.url}`)));
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true }));
    assert.deepEqual(
      (await get(dispatcher, `http://127.0.0.1:${server.port}/v1/models`)).body,
      'path /v1/models',
    );
    const byName = await get(dispatcher, `http://localhost:${server.port}/v1/messages`);
    assert.equal(byName.status, 200);
    assert.equal(byName.body, 'path /v1/messages');
    assert.equal(server.requests, 2);
  });

  it('uses an injected resolver', async () => {
    const server = track(await localServer());
    const dns = fakeDns({ 'model-server.test': [v4('127.0.0.1')] });
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true, lookup: dns.lookup }));
    assert.equal((await get(dispatcher, `http://model-server.test:${server.port}/`)).body, 'ok');
    assert.deepEqual(dns.asked, ['model-server.test']);
  });

  it('returns a redirect as it is and never follows it', async () => {
    assert.equal(UPSTREAM_FOLLOWS_REDIRECTS, false);
    const target = track(await localServer());
    const redirecting = track(
      await localServer((_req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${target.port}/stolen` }).end('moved');
      }),
    );
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true }));
    const res = await get(dispatcher, `http://127.0.0.1:${redirecting.port}/v1/chat/completions`);
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, `http://127.0.0.1:${target.port}/stolen`);
    assert.equal(res.body, 'moved');
    // The same through undici's top-level request(url, { dispatcher }), as the gateway calls it.
    const again = await request(`http://127.0.0.1:${redirecting.port}/v1/messages`, { dispatcher });
    assert.equal(again.statusCode, 302);
    await again.body.dump();
    assert.equal(redirecting.requests, 2);
    assert.equal(target.connections, 0);
    assert.equal(target.requests, 0);
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const server = track(await localServer((_req, res) => res.end('ok')));
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true }));
    for (let i = 0; i < 3; i++) {
      assert.equal((await get(dispatcher, `http://127.0.0.1:${server.port}/`)).body, 'ok');
      // undici marks a connection free for the next request a tick after its response body ends; a request sent in
      // that very tick would open a second connection (both are then kept and reused).
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(server.requests, 3);
    assert.equal(server.connections, 1);
    assert.equal(new Set(server.clientPorts).size, 1);
  });
});

describe('upstream dispatcher timeouts', () => {
  it('has the documented defaults', () => {
    assert.deepEqual(UPSTREAM_DEFAULTS, {
      connectTimeoutMs: 10_000,
      headersTimeoutMs: 600_000,
      bodyTimeoutMs: 300_000,
      keepAliveTimeoutMs: 30_000,
      keepAliveMaxTimeoutMs: 60_000,
    });
  });

  // A blackholed address would be the classic connect-timeout target, but this machine must send nothing beyond
  // loopback; a look-up that never answers stalls the connect step just the same (the connect timeout covers the
  // look-up), with no packet sent.
  for (const allowPrivate of [true, false]) {
    it(`bounds a connect step that never completes (allowPrivate=${allowPrivate})`, async () => {
      const hanging: LookupFunction = () => {};
      const dispatcher = track(
        createUpstreamDispatcher({ allowPrivate, lookup: hanging, connectTimeoutMs: 150 }),
      );
      // undici's short timers do not keep the process alive, and nothing else here does while the look-up hangs.
      const alive = setInterval(() => {}, 1_000);
      const started = Date.now();
      await assert
        .rejects(get(dispatcher, 'https://stalled.test/v1/models'), { code: 'UND_ERR_CONNECT_TIMEOUT' })
        .finally(() => clearInterval(alive));
      const took = Date.now() - started;
      assert.ok(took >= 140 && took < 2_000, `took ${took} ms`);
      assert.equal(connected, 0);
    });
  }

  it('bounds the wait for response headers from a server that accepts and never answers', async () => {
    const server = track(await localServer(() => {}, { v6: false }));
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true, headersTimeoutMs: 200 }));
    const started = Date.now();
    await assert.rejects(get(dispatcher, `http://127.0.0.1:${server.port}/`), {
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    const took = Date.now() - started;
    assert.ok(took >= 150 && took < 3_000, `took ${took} ms`);
    assert.equal(server.requests, 1);
  });

  it('bounds the wait between body chunks from a server that stalls mid-body', async () => {
    const server = track(
      await localServer(
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"partial": true}\n\n');
        },
        { v6: false },
      ),
    );
    const dispatcher = track(createUpstreamDispatcher({ allowPrivate: true, bodyTimeoutMs: 200 }));
    const started = Date.now();
    await assert.rejects(get(dispatcher, `http://127.0.0.1:${server.port}/`), {
      code: 'UND_ERR_BODY_TIMEOUT',
    });
    assert.ok(Date.now() - started < 3_000);
  });
});
