// PostgreSQL away or slow while Redis decides (issue 11 #6 and #8). Spend the store counted but PostgreSQL never
// committed can make the store decline, but it must never flip the kill switch for real, and once the fault ends
// GET must show exactly the state the next decision uses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signupAndAdminKey, type TestServer } from '../../harness.js';
import type { TcpProxy } from '../../tcp-proxy.js';
import { createAgent, dbSpend, postEvent } from '../helpers.js';
import { type ProxiedServer, startBehindProxies } from '../outage-helpers.js';
import {
  agentIdOf,
  dbAgentStatus,
  getAgent,
  newKey,
  type ProcessAndSurvivor,
  retrying,
  sleep,
  startProcessAndSurvivor,
  USD,
  within,
} from './fault-helpers.js';
import { forgetClaim, isEventBatch, reconcile, storeAgentState } from './probe.js';

const SMALL = 10_000; // $0.01

/**
 * docs/api.md §7 "GET shows what the next decision will use": GET's status equals PostgreSQL's, and the next small event
 * answers exactly what GET predicts — agent_suspended if suspended, budget_exceeded if GET's spend leaves no room,
 * else 201.
 */
async function assertGetPredictsNextDecision(
  url: string,
  key: string,
  name: string,
  databaseUrl: string,
  customerId: string,
  context: Record<string, unknown>,
) {
  const inDb = await dbAgentStatus(databaseUrl, customerId, name);
  const shown = await getAgent(url, key, name);
  assert.equal(shown.status, inDb.status, 'GET shows PostgreSQL');
  const limit = shown.limits.month_micros as number | null;
  const predicted =
    shown.status === 'suspended'
      ? 'agent_suspended'
      : limit !== null && shown.spend.month_micros + SMALL > limit
        ? 'budget_exceeded'
        : 'accepted';
  const next = await retrying(() => postEvent(url, key, { agent: name, cost_micros: SMALL }));
  const answered = next.status === 201 ? 'accepted' : (next.body?.error?.code ?? String(next.status));
  assert.equal(
    answered,
    predicted,
    `GET says ${shown.status} with ${shown.spend.month_micros / USD} USD spent (PostgreSQL: ${inDb.status}; ${JSON.stringify(context)}); the next $0.01 event: ${next.status} ${answered}`,
  );
}

describe('PostgreSQL outages and the kill switch', { timeout: 150_000 }, () => {
  let proxied: ProxiedServer;
  let server: TestServer;
  let pgProxy: TcpProxy;
  let databaseUrl: string;
  before(async () => {
    proxied = await startBehindProxies();
    ({ server, pgProxy, databaseUrl } = proxied);
  });
  after(() => proxied.close());

  it('6: after PostgreSQL was down ~15 s, GET shows the kill switch the next decision uses', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'down-bot', { month_usd: 10 });
    const agentId = await agentIdOf(databaseUrl, t.customerId, 'down-bot');
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'down-bot', cost_micros: 8 * USD })).status,
      201,
    );

    pgProxy.cut();
    const during: number[] = [];
    let flippedInStore: string | null = null;
    const downSince = Date.now();
    try {
      // $1 events while PostgreSQL is down: the store counts them; the third one breaks the limit there.
      for (let i = 0; i < 4; i++) {
        const r = await postEvent(server.url, t.adminKey, { agent: 'down-bot', cost_micros: 1 * USD });
        during.push(r.status);
      }
      assert.deepEqual(during, [503, 503, 503, 503], 'nothing is answered but 503 while PostgreSQL is down');
      // The store may hold a provisional flip here (it declines at once); PostgreSQL never confirmed it.
      flippedInStore = (await storeAgentState(server, t.customerId, agentId))?.status ?? null;
      await sleep(15_000 - (Date.now() - downSince));
    } finally {
      pgProxy.resume();
    }
    // Faults end. Let background settling finish, then a full reconciler pass.
    await sleep(6_000);
    await reconcile(server);

    await assertGetPredictsNextDecision(server.url, t.adminKey, 'down-bot', databaseUrl, t.customerId, {
      flippedInStore,
    });
  });

  it('8: a re-sent key the store forgot may decline a concurrent event but never flips the kill switch', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'forgot-bot', { month_usd: 10 });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'forgot-bot', cost_micros: 8 * USD })).status,
      201,
    );
    const kBody = { agent: 'forgot-bot', cost_micros: 1 * USD };
    const kKey = newKey('K');
    const original = await postEvent(server.url, t.adminKey, kBody, kKey);
    assert.equal(original.status, 201);
    // 9 of 10 USD committed. The store forgets K (older than its retention); PostgreSQL remembers it.
    await forgetClaim(server, t.customerId, kKey);

    // K is re-sent; its batch is slow to reach PostgreSQL. Meanwhile E ($0.50) is decided.
    const atBatch = pgProxy.stallBefore(isEventBatch);
    const resent = retrying(() => postEvent(server.url, t.adminKey, kBody, kKey));
    await within(5_000, "the re-sent K's batch is on the wire", atBatch);
    const e = await retrying(() =>
      postEvent(server.url, t.adminKey, { agent: 'forgot-bot', cost_micros: 500_000 }),
    );
    pgProxy.resume();
    const replay = await resent;

    assert.equal(replay.status, 201, JSON.stringify(replay.body));
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.event.id, original.body.event.id, 'K replays its original event');
    const spent = await dbSpend(databaseUrl, t.customerId, 'forgot-bot');
    assert.equal(spent.events, 9 * USD + (e.status === 201 ? 500_000 : 0), 'K is recorded once');
    const status = await dbAgentStatus(databaseUrl, t.customerId, 'forgot-bot');
    assert.equal(
      status.status,
      'active',
      `PostgreSQL: ${spent.events / USD} USD spent of 10, E answered ${e.status} ${e.body?.error?.code ?? ''}, yet the agent is ${status.status} (${status.suspended_reason})`,
    );
  });
});

describe('PostgreSQL outage outlived by the instance that decided', { timeout: 120_000 }, () => {
  // Instance A (`child`) is a real process reaching PostgreSQL through the proxy; S (`server`) is another instance,
  // reaching it directly.
  let d: ProcessAndSurvivor;
  before(async () => {
    d = await startProcessAndSurvivor();
  });
  after(async () => {
    await d.close();
  });

  it('6b: the instance that counted (and flipped) dies while PostgreSQL is down — GET shows what the next decision uses', async () => {
    const { database, pgProxy, child, server } = d;
    const a = child.url;
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'orphan-bot', { month_usd: 10 });
    assert.equal((await postEvent(a, t.adminKey, { agent: 'orphan-bot', cost_micros: 8 * USD })).status, 201);

    pgProxy.cut();
    const during: number[] = [];
    for (let i = 0; i < 4; i++)
      during.push((await postEvent(a, t.adminKey, { agent: 'orphan-bot', cost_micros: 1 * USD })).status);
    assert.deepEqual(during, [503, 503, 503, 503], 'nothing is answered but 503 while PostgreSQL is down');
    const agentId = await agentIdOf(database.url, t.customerId, 'orphan-bot');
    const flippedInStore = (await storeAgentState(server, t.customerId, agentId))?.status ?? null;
    await sleep(3_000);
    await child.kill(); // restarted by its supervisor, say, while PostgreSQL is still down
    pgProxy.resume();

    // Faults end: one full reconciler pass on the surviving instance.
    await reconcile(server);
    await assertGetPredictsNextDecision(server.url, t.adminKey, 'orphan-bot', database.url, t.customerId, {
      flippedInStore,
    });
  });
});
