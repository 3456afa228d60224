// Limits under concurrent changes and a lost write-through (docs/api.md §7 "Consistency": PATCH "takes effect for the very
// next event on every instance", and GET shows what the next decision uses). Two instances on the same stores
// PATCH one limit at once; afterwards both must enforce exactly what GET shows: PostgreSQL's accepted spend never
// above it. A PATCH that answers 503 after its PostgreSQL commit must not leave the store on the old limit once
// the fault is over.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type ApiResponse,
  api,
  REDIS_PORT,
  signupAndAdminKey,
  startSecondInstance,
  startTestServer,
  type TestServer,
} from '../../harness.js';
import { startTcpProxy, type TcpProxy } from '../../tcp-proxy.js';
import { createAgent, dbSpend, type Json, postEvent, sql } from '../helpers.js';

import { type ProxiedServer, retryUntilSettled, startBehindProxies } from '../outage-helpers.js';
import { sleep } from './fault-helpers.js';
import { reconcile, storeAgentState, storeCustomerMonthLimit } from './probe.js';

const ROUNDS = 30;
const LOW = 1_000_000; // 1 USD
const HIGH = 100_000_000; // 100 USD
const EVENT = 600_000; // two of these break 1 USD, four never break 100 USD

async function customerAccepted(databaseUrl: string, customerId: string): Promise<number> {
  const [row] = await sql<{ spent: string }>(
    databaseUrl,
    `SELECT coalesce(sum(cost_micros), 0) AS spent FROM events WHERE customer_id = $1 AND status = 'accepted'`,
    [customerId],
  );
  return Number(row?.spent);
}

async function waitFor(check: () => Promise<boolean>, maxMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > maxMs) throw new Error('condition not reached in time');
    await sleep(5);
  }
}

/** Until the server answers /readyz 200 again (its Redis client reconnected after a cut). */
async function waitReady(url: string, maxMs = 10_000): Promise<void> {
  const started = Date.now();
  while ((await api(url, '/readyz')).status !== 200) {
    if (Date.now() - started > maxMs) throw new Error('server not ready again');
    await sleep(100);
  }
}

// The unaided race (no fault): rarely hit on a 2-core machine (both instances share one event loop here), so it is a
// stress guard; the slow-link variant below reproduces the same split deterministically.
describe('concurrent PATCHes of one limit on two instances (unaided race, probabilistic)', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer();
    b = await startSecondInstance(a);
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it("an agent's month limit is enforced by both instances exactly as GET shows it", async () => {
    const t = await signupAndAdminKey(a.url);
    const broken: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `lim-race-${round}`;
      const created = await createAgent(a.url, t.adminKey, name, { month_micros: 50_000_000 });
      const agentId = created.body.id as string;
      const patch = (on: TestServer, month: number) =>
        api(on.url, `/v1/agents/${name}`, {
          method: 'PATCH',
          key: t.adminKey,
          body: { limits: { month_micros: month } },
        });
      const first = round % 2 === 0 ? patch(a, LOW) : patch(b, HIGH);
      await sleep(round % 3);
      const second = round % 2 === 0 ? patch(b, HIGH) : patch(a, LOW);
      const answers = await Promise.all([first, second]);
      for (const r of answers) assert.equal(r.status, 200, JSON.stringify(r.body));
      const shown = (await api(a.url, `/v1/agents/${name}`, { key: t.adminKey })).body.limits.month_micros;
      const store = await storeAgentState(a, t.customerId, agentId);
      for (let i = 0; i < 4; i++)
        await postEvent(i % 2 === 0 ? a.url : b.url, t.adminKey, { agent: name, cost_micros: EVENT });
      const spent = (await dbSpend(a.databaseUrl as string, t.customerId, name)).events;
      if (spent > shown || store?.limits.month_micros !== shown)
        broken.push(
          `round ${round}: GET ${shown}, store ${store?.limits.month_micros}, accepted ${spent} in PostgreSQL`,
        );
    }
    assert.deepEqual(broken, [], `${broken.length}/${ROUNDS} rounds enforce another limit than GET shows`);
  });

  it("the customer's month limit is enforced by both instances exactly as GET shows it", async () => {
    const t = await signupAndAdminKey(a.url);
    const databaseUrl = a.databaseUrl as string;
    const broken: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Limits relative to what is already spent, so every round can break the low one and never the high one.
      const base = await customerAccepted(databaseUrl, t.customerId);
      const patch = (on: TestServer, month: number) =>
        api(on.url, '/v1/customer', {
          method: 'PATCH',
          key: t.adminKey,
          body: { limits: { month_micros: base + month } },
        });
      const first = round % 2 === 0 ? patch(a, LOW) : patch(b, HIGH);
      await sleep(round % 3);
      const second = round % 2 === 0 ? patch(b, HIGH) : patch(a, LOW);
      const answers = await Promise.all([first, second]);
      for (const r of answers) assert.equal(r.status, 200, JSON.stringify(r.body));
      const shown = (await api(a.url, '/v1/customer', { key: t.adminKey })).body.limits
        .month_micros as number;
      const store = await storeCustomerMonthLimit(a, t.customerId);
      // A fresh agent per round with no limit of its own: only the customer's limit can decline.
      const name = `cust-race-${round}`;
      await createAgent(a.url, t.adminKey, name, { month_micros: null });
      for (let i = 0; i < 4; i++)
        await postEvent(i % 2 === 0 ? a.url : b.url, t.adminKey, { agent: name, cost_micros: EVENT });
      const spent = await customerAccepted(databaseUrl, t.customerId);
      if (spent > shown || store !== shown)
        broken.push(`round ${round}: GET ${shown}, store ${store}, accepted ${spent} in PostgreSQL`);
    }
    assert.deepEqual(broken, [], `${broken.length}/${ROUNDS} rounds enforce another limit than GET shows`);
  });
});

describe('two PATCHes on two instances, one of them with a slow link to Redis (200 ms each way)', () => {
  // PostgreSQL orders the two PATCHes (row lock); the slow instance commits first and its write-through reaches
  // Redis last. Deterministic: the fast PATCH is sent only once the slow one's commit is visible in PostgreSQL.
  let a: TestServer;
  let slow: TestServer;
  let redisProxy: TcpProxy;
  before(async () => {
    a = await startTestServer();
    redisProxy = await startTcpProxy(REDIS_PORT);
    slow = await startSecondInstance(a, { redisUrl: redisProxy.url('redis') });
  });
  after(async () => {
    redisProxy.resume();
    await slow.close();
    await a.close();
    await redisProxy.close();
  });

  it('the agent limit PostgreSQL ordered last is the one both instances enforce', async () => {
    const t = await signupAndAdminKey(a.url);
    const databaseUrl = a.databaseUrl as string;
    const broken: string[] = [];
    for (let round = 0; round < 3; round++) {
      const name = `slow-link-${round}`;
      const created = await createAgent(a.url, t.adminKey, name, { month_micros: 50_000_000 });
      const agentId = created.body.id as string;
      const patch = (on: TestServer, month: number) =>
        api(on.url, `/v1/agents/${name}`, {
          method: 'PATCH',
          key: t.adminKey,
          body: { limits: { month_micros: month } },
        });
      redisProxy.delay(200);
      const slowPatch = patch(slow, HIGH);
      await waitFor(async () => {
        const [row] = await sql<{ m: string }>(
          databaseUrl,
          'SELECT month_limit_micros AS m FROM agents WHERE id = $1',
          [agentId],
        );
        return Number(row?.m) === HIGH;
      });
      const fast = await patch(a, LOW);
      const late = await slowPatch;
      redisProxy.resume();
      assert.equal(fast.status, 200, JSON.stringify(fast.body));
      assert.ok([200, 503].includes(late.status), `slow PATCH answered ${late.status}`);
      const shown = (await api(a.url, `/v1/agents/${name}`, { key: t.adminKey })).body.limits.month_micros;
      const store = await storeAgentState(a, t.customerId, agentId);
      for (let i = 0; i < 4; i++)
        await postEvent(i % 2 === 0 ? a.url : slow.url, t.adminKey, { agent: name, cost_micros: EVENT });
      const spent = (await dbSpend(databaseUrl, t.customerId, name)).events;
      if (spent > shown || store?.limits.month_micros !== shown)
        broken.push(
          `round ${round}: GET ${shown}, store ${store?.limits.month_micros}, accepted ${spent} in PostgreSQL`,
        );
    }
    assert.deepEqual(broken, [], `${broken.length}/3 rounds enforce another limit than GET shows`);
  });

  it('a PATCH committed first but written through last never undoes a suspend made on the other instance', async () => {
    const t = await signupAndAdminKey(a.url);
    const databaseUrl = a.databaseUrl as string;
    const broken: string[] = [];
    for (let round = 0; round < 3; round++) {
      const name = `slow-patch-${round}`;
      const created = await createAgent(a.url, t.adminKey, name, { month_micros: 50_000_000 });
      const agentId = created.body.id as string;
      redisProxy.delay(200);
      // The PATCH commits on the slow instance (its row: active), and its write-through is on the slow link...
      const slowPatch = api(slow.url, `/v1/agents/${name}`, {
        method: 'PATCH',
        key: t.adminKey,
        body: { limits: { month_micros: HIGH } },
      });
      await waitFor(async () => {
        const [row] = await sql<{ m: string }>(
          databaseUrl,
          'SELECT month_limit_micros AS m FROM agents WHERE id = $1',
          [agentId],
        );
        return Number(row?.m) === HIGH;
      });
      // ...when a suspend commits on the fast one and is written through first.
      const suspended = await api(a.url, `/v1/agents/${name}/suspend`, { key: t.adminKey, body: {} });
      const late = await slowPatch;
      redisProxy.resume();
      assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
      assert.ok([200, 503].includes(late.status), `slow PATCH answered ${late.status}`);
      const store = await storeAgentState(a, t.customerId, agentId);
      const next = [
        await postEvent(a.url, t.adminKey, { agent: name, cost_micros: 0 }),
        await postEvent(slow.url, t.adminKey, { agent: name, cost_micros: 0 }),
      ];
      if (store?.status !== 'suspended' || next.some((r) => r.body?.error?.code !== 'agent_suspended')) {
        broken.push(
          `round ${round}: store ${store?.status}, next events ${next.map((r) => r.status).join('/')}`,
        );
      }
    }
    assert.deepEqual(broken, [], `${broken.length}/3 rounds lost the suspend`);
  });

  it('the customer limit PostgreSQL ordered last is the one both instances enforce', async () => {
    const t = await signupAndAdminKey(a.url);
    const databaseUrl = a.databaseUrl as string;
    const broken: string[] = [];
    for (let round = 0; round < 3; round++) {
      const base = await customerAccepted(databaseUrl, t.customerId);
      const patch = (on: TestServer, month: number) =>
        api(on.url, '/v1/customer', {
          method: 'PATCH',
          key: t.adminKey,
          body: { limits: { month_micros: base + month } },
        });
      redisProxy.delay(200);
      const slowPatch = patch(slow, HIGH);
      await waitFor(async () => {
        const [row] = await sql<{ m: string }>(
          databaseUrl,
          'SELECT month_limit_micros AS m FROM customers WHERE id = $1',
          [t.customerId],
        );
        return Number(row?.m) === base + HIGH;
      });
      const fast = await patch(a, LOW);
      const late = await slowPatch;
      redisProxy.resume();
      assert.equal(fast.status, 200, JSON.stringify(fast.body));
      assert.ok([200, 503].includes(late.status), `slow PATCH answered ${late.status}`);
      const shown = (await api(a.url, '/v1/customer', { key: t.adminKey })).body.limits
        .month_micros as number;
      const store = await storeCustomerMonthLimit(a, t.customerId);
      const name = `slow-cust-${round}`;
      await createAgent(a.url, t.adminKey, name, { month_micros: null });
      for (let i = 0; i < 4; i++)
        await postEvent(i % 2 === 0 ? a.url : slow.url, t.adminKey, { agent: name, cost_micros: EVENT });
      const spent = await customerAccepted(databaseUrl, t.customerId);
      if (spent > shown || store !== shown)
        broken.push(`round ${round}: GET ${shown}, store ${store}, accepted ${spent} in PostgreSQL`);
    }
    assert.deepEqual(broken, [], `${broken.length}/3 rounds enforce another limit than GET shows`);
  });
});

/**
 * PATCHes `path`'s month limit down to LOW while the instance's Redis link is cut (the write-through after the
 * PostgreSQL commit is lost), then ends the fault: the instance reconnects and one reconciler pass runs.
 */
async function patchLowWithRedisCut(proxied: ProxiedServer, key: string, path: string) {
  const { server, redisProxy } = proxied;
  redisProxy.cut();
  let patched: ApiResponse<Json>;
  try {
    patched = await api(server.url, path, { method: 'PATCH', key, body: { limits: { month_micros: LOW } } });
  } finally {
    redisProxy.resume();
  }
  await waitReady(server.url);
  await reconcile(server);
  return patched;
}

describe('a PATCH whose write-through is lost (Redis unreachable after the PostgreSQL commit)', () => {
  let proxied: ProxiedServer;
  before(async () => {
    proxied = await startBehindProxies();
  });
  after(() => proxied.close());

  it('after the fault ends and the reconciler ran, the agent limit enforced is the one GET shows', async () => {
    const { server } = proxied;
    const t = await signupAndAdminKey(server.url);
    const created = await createAgent(server.url, t.adminKey, 'lost-write', { month_micros: HIGH });
    const agentId = created.body.id as string;
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'lost-write', cost_micros: 1 })).status,
      201,
    );
    const patched = await patchLowWithRedisCut(proxied, t.adminKey, '/v1/agents/lost-write');
    assert.ok([200, 503].includes(patched.status), `PATCH answered ${patched.status}`);
    const shown = (await api(server.url, '/v1/agents/lost-write', { key: t.adminKey })).body.limits
      .month_micros;
    const store = await storeAgentState(server, t.customerId, agentId);
    for (let i = 0; i < 4; i++)
      await retryUntilSettled(
        () => postEvent(server.url, t.adminKey, { agent: 'lost-write', cost_micros: EVENT }, `lw-${i}`),
        5_000,
      );
    const spent = (await dbSpend(proxied.databaseUrl, t.customerId, 'lost-write')).events;
    assert.ok(
      spent <= shown && store?.limits.month_micros === shown,
      `PATCH ${patched.status}; GET shows ${shown}, store ${store?.limits.month_micros}; accepted ${spent}`,
    );
  });

  it('after the fault ends and the reconciler ran, the customer limit enforced is the one GET shows', async () => {
    const { server } = proxied;
    const t = await signupAndAdminKey(server.url);
    const set = await api(server.url, '/v1/customer', {
      method: 'PATCH',
      key: t.adminKey,
      body: { limits: { month_micros: HIGH } },
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await createAgent(server.url, t.adminKey, 'lost-cust', { month_micros: null });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'lost-cust', cost_micros: 1 })).status,
      201,
    );
    const patched = await patchLowWithRedisCut(proxied, t.adminKey, '/v1/customer');
    assert.ok([200, 503].includes(patched.status), `PATCH answered ${patched.status}`);
    const shown = (await api(server.url, '/v1/customer', { key: t.adminKey })).body.limits.month_micros;
    const store = await storeCustomerMonthLimit(server, t.customerId);
    for (let i = 0; i < 4; i++)
      await retryUntilSettled(
        () => postEvent(server.url, t.adminKey, { agent: 'lost-cust', cost_micros: EVENT }, `lc-${i}`),
        5_000,
      );
    const spent = await customerAccepted(proxied.databaseUrl, t.customerId);
    assert.ok(
      spent <= shown && store === shown,
      `PATCH ${patched.status}; GET shows ${shown}, store ${store}; accepted ${spent}`,
    );
  });
});
