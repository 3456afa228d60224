// The fault-injecting TCP proxy itself, against the real Redis: what each fault does to one connection, and that the
// app's own Redis client does not re-send a command whose reply was lost (src/redis.ts: a blind re-send ran an undo
// twice; callers run an operation again themselves, safely, with the same token).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { connectRedis } from '../src/redis.js';
import { newRedisPrefix, REDIS_PORT, REDIS_URL } from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One RESP command as bytes. */
const resp = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** A raw socket through the proxy: what it receives, and whether the proxy closed it. */
async function rawClient(proxy: TcpProxy) {
  const socket = net.connect(proxy.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let closed = false;
  socket.on('data', (d) => {
    received += d.toString();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
  });
  return {
    send: (command: string) => socket.write(command),
    received: () => received,
    closed: () => closed,
    async waitFor(text: string, ms = 2_000) {
      const until = Date.now() + ms;
      while (!received.includes(text) && Date.now() < until) await sleep(5);
      return received.includes(text);
    },
    end: () => socket.destroy(),
  };
}

describe('tcp-proxy fault injection (real Redis)', { timeout: 20_000 }, () => {
  let proxy: TcpProxy;
  let direct: Redis;
  const prefix = newRedisPrefix();
  const key = (name: string) => `${prefix}:${name}`;
  // ioredis sends command names in lower case, the raw clients here in upper case.
  const isIncr = (name: string) => (chunk: Buffer) =>
    chunk.toString().toUpperCase().includes('INCR') && chunk.includes(key(name));

  before(async () => {
    proxy = await startTcpProxy(REDIS_PORT);
    direct = await connectRedis(REDIS_URL);
  });
  after(async () => {
    const keys = await direct.keys(`${prefix}:*`);
    if (keys.length > 0) await direct.del(...keys);
    direct.disconnect();
    await proxy.close();
  });

  it('forwards both ways; pause holds bytes until resume; cut closes and refuses', async () => {
    const c = await rawClient(proxy);
    c.send(resp('PING'));
    assert.ok(await c.waitFor('+PONG'));
    proxy.pause();
    c.send(resp('INCR', key('paused')));
    await sleep(100);
    assert.equal(await direct.get(key('paused')), null, 'nothing flows while paused');
    proxy.resume();
    assert.ok(await c.waitFor(':1'));
    proxy.cut();
    await sleep(20);
    assert.ok(c.closed());
    const refused = await rawClient(proxy);
    await sleep(50);
    assert.ok(refused.closed(), 'new connections are refused while cut');
    proxy.resume();
  });

  it('loseNextReply: the command runs, its reply never arrives, the connection dies', async () => {
    const c = await rawClient(proxy);
    const lost = proxy.loseNextReply(isIncr('lost'));
    c.send(resp('INCR', key('lost')));
    await lost;
    await sleep(20);
    assert.equal(await direct.get(key('lost')), '1', 'the command ran');
    assert.equal(c.received(), '', 'its reply was lost');
    assert.ok(c.closed(), 'the connection was destroyed');
    // One-shot: the next connection works normally.
    const d = await rawClient(proxy);
    d.send(resp('INCR', key('lost')));
    assert.ok(await d.waitFor(':2'));
    d.end();
  });

  it('stallBefore holds the matching command unsent; resume delivers it; cut drops it', async () => {
    const c = await rawClient(proxy);
    const stalled = proxy.stallBefore(isIncr('before'));
    c.send(resp('INCR', key('before')));
    await stalled;
    await sleep(100);
    assert.equal(await direct.get(key('before')), null, 'not forwarded while stalled');
    proxy.resume();
    assert.ok(await c.waitFor(':1'), 'delivered and answered after resume');

    const d = await rawClient(proxy);
    const again = proxy.stallBefore(isIncr('before'));
    d.send(resp('INCR', key('before')));
    await again;
    proxy.cut();
    proxy.resume();
    await sleep(100);
    assert.equal(await direct.get(key('before')), '1', 'a stalled command cut off never runs');
    assert.ok(d.closed());
    c.end();
  });

  it('stallAfter forwards the matching command and holds its reply until resume', async () => {
    const c = await rawClient(proxy);
    const stalled = proxy.stallAfter(isIncr('after'));
    c.send(resp('INCR', key('after')));
    await stalled;
    await sleep(100);
    assert.equal(await direct.get(key('after')), '1', 'the command ran');
    assert.equal(c.received(), '', 'its reply is held');
    proxy.resume();
    assert.ok(await c.waitFor(':1'));
    c.end();
  });

  it('delay adds latency to every chunk, keeping order', async () => {
    const c = await rawClient(proxy);
    proxy.delay(150);
    try {
      const started = Date.now();
      c.send(resp('INCR', key('delay')));
      c.send(resp('INCR', key('delay')));
      assert.ok(await c.waitFor(':2'));
      const ms = Date.now() - started;
      assert.ok(ms >= 280, `round trip took ${ms} ms`);
      assert.ok(c.received().indexOf(':1') < c.received().indexOf(':2'), 'order kept');
    } finally {
      proxy.delay(0);
    }
    c.end();
  });

  it("the app's Redis client never re-sends a command whose reply was lost: it ran once, the caller hears of it", async () => {
    const redis = await connectRedis(proxy.url('redis'));
    try {
      const lost = proxy.loseNextReply(isIncr('resent'));
      await assert.rejects(redis.incr(key('resent')), /timed out|closed/i);
      await lost;
      assert.equal(await direct.get(key('resent')), '1', 'the command ran once; nothing re-sent it');
      assert.equal(await redis.incr(key('resent')), 2, 'the client works again after reconnecting');
    } finally {
      redis.disconnect();
    }
  });
});
