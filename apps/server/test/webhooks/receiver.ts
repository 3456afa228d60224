// A real HTTP receiver for webhook tests: records every request (headers and the raw body) and answers what the test
// scripts — a status, or never (a hanging receiver).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import { startSecondInstance, startTestServer, type TestServer } from '../harness.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What the next requests get: a status, or 'hang' (the request is never answered). */
  answer: number | 'hang';
  /** Resolves once `n` requests have arrived (or rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const state = { answer: 200 as number | 'hang' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (state.answer === 'hang') return;
      res.writeHead(state.answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    get answer() {
      return state.answer;
    },
    set answer(v) {
      state.answer = v;
    },
    async waitFor(n, ms = 10_000) {
      const until = Date.now() + ms;
      while (received.length < n) {
        if (Date.now() > until)
          throw new Error(`the receiver got ${received.length} of ${n} requests in ${ms} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return received;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What webhook tests start servers with: receivers here are on loopback. */
export const ALLOW_PRIVATE = { SPENDGUARD_WEBHOOK_ALLOW_PRIVATE: '1' };

/**
 * Registers, in the calling describe(), two instances of one deployment (one database, one Redis prefix) and a
 * receiver, started before its tests and closed after; the returned object holds them once started.
 */
export function twoInstancesAndReceiver(): { a: TestServer; b: TestServer; receiver: Receiver } {
  const started = {} as { a: TestServer; b: TestServer; receiver: Receiver };
  before(async () => {
    started.receiver = await startReceiver();
    started.a = await startTestServer({ env: ALLOW_PRIVATE });
    started.b = await startSecondInstance(started.a, { env: ALLOW_PRIVATE });
  });
  after(async () => {
    await started.b.close();
    await started.a.close();
    await started.receiver.close();
  });
  return started;
}
