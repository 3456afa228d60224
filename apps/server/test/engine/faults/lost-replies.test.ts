// Lost replies (issue 11 #3): the network dies right after Redis ran a script, before its reply reached the server.
// A client that re-sends unanswered commands after reconnecting (ioredis did, by default) runs the script twice, and
// so does a caller that tries again: every script must be safe to run twice. Whatever ran twice, the client must see
// one outcome and PostgreSQL's truth must hold: never more accepted than the limit, no kill switch flipped by spend
// that is not there, an idempotency key that settles.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, type TestServer } from '../../harness.js';
import type { TcpProxy } from '../../tcp-proxy.js';
import { createAgent, dbSpend, postEvent } from '../helpers.js';
import { type ProxiedServer, startBehindProxies } from '../outage-helpers.js';
import {
  agentIdOf,
  dbAgentStatus,
  fillToLimit,
  getAgent,
  newKey,
  retrying,
  sleep,
  USD,
  within,
} from './fault-helpers.js';
import { dbSpendOf, isEventBatch, isScript, reconcile, storeSpend } from './probe.js';

describe('lost Redis replies', { timeout: 120_000 }, () => {
  let proxied: ProxiedServer;
  let server: TestServer;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let databaseUrl: string;
  before(async () => {
    proxied = await startBehindProxies();
    ({ server, pgProxy, redisProxy, databaseUrl } = proxied);
  });
  after(() => proxied.close());

  it('3a: a lost reply to undo takes nothing back twice — PostgreSQL never accepts more than the limit', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'undo-bot', { month_usd: 10 });
    const agentId = await agentIdOf(databaseUrl, t.customerId, 'undo-bot');
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'undo-bot', cost_micros: 7 * USD })).status,
      201,
    );

    // E ($3) is counted, then its batch dies on the wire: the server undoes E — and that undo's reply is lost.
    const eBody = { agent: 'undo-bot', cost_micros: 3 * USD };
    const eKey = newKey('e');
    const atBatch = pgProxy.stallBefore(isEventBatch);
    const first = postEvent(server.url, t.adminKey, eBody, eKey);
    await within(5_000, 'E reached its batch', atBatch);
    const undoLost = redisProxy.loseNextReply((chunk) => isScript(chunk, 'undo'));
    pgProxy.cut(); // the batch never reaches PostgreSQL
    pgProxy.resume(); // PostgreSQL is back at once: the server finds E absent and undoes it
    assert.equal((await first).status, 503);
    // The batch's fate is unknown to the server (the connection died): it asks PostgreSQL until E can no longer
    // commit, then undoes it — that undo's reply is the one lost. (An engine that takes E back some other way never
    // runs this script here; then there is no reply to lose.)
    const fired = await Promise.race([undoLost.then(() => true), sleep(10_000).then(() => false)]);
    redisProxy.clearFaults();
    if (fired) await sleep(1_500); // the client reconnects and re-sends what was unanswered

    // Faults are over. The client retries E (same key), then spends up to its limit.
    await retrying(() => postEvent(server.url, t.adminKey, eBody, eKey));
    await fillToLimit(server.url, t.adminKey, 'undo-bot', 1 * USD);
    const spent = await dbSpend(databaseUrl, t.customerId, 'undo-bot');
    assert.ok(
      spent.events <= 10 * USD,
      `PostgreSQL accepted ${spent.events / USD} USD on a 10 USD limit (${spent.count} events; undo reply lost: ${fired})`,
    );
    await reconcile(server);
    assert.deepEqual(
      await storeSpend(server, t.customerId, agentId),
      await dbSpendOf(server, t.customerId, agentId),
      'store counters equal PostgreSQL',
    );
  });

  it('3b: a lost reply to a commit-hold counts the commit once — no budget_exceeded flip below the limit', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'hold-bot', { month_usd: 10 });
    const agentId = await agentIdOf(databaseUrl, t.customerId, 'hold-bot');
    const held = await api(server.url, '/v1/reservations', {
      key: t.adminKey,
      body: { agent: 'hold-bot', amount_micros: 6 * USD },
      headers: { 'idempotency-key': newKey('h') },
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const id = held.body.reservation.id as string;

    const lost = redisProxy.loseNextReply((chunk) => isScript(chunk, 'commitHold'));
    const committed = await retrying(() =>
      api(server.url, `/v1/reservations/${id}/commit`, { key: t.adminKey, body: { cost_micros: 6 * USD } }),
    );
    await within(5_000, 'the commit-hold reply was lost', lost);
    assert.equal(committed.status, 201, JSON.stringify(committed.body));

    const spent = await dbSpend(databaseUrl, t.customerId, 'hold-bot');
    assert.deepEqual(spent, { events: 6 * USD, count: 1, daily: 6 * USD }, 'the commit is recorded once');
    await reconcile(server);
    const status = await dbAgentStatus(databaseUrl, t.customerId, 'hold-bot');
    assert.equal(
      status.status,
      'active',
      `6 USD spent of 10, yet the agent is ${status.status} (${status.suspended_reason}) in PostgreSQL`,
    );
    assert.equal((await getAgent(server.url, t.adminKey, 'hold-bot')).status, 'active');
    const next = await retrying(() =>
      postEvent(server.url, t.adminKey, { agent: 'hold-bot', cost_micros: 1 * USD }),
    );
    assert.equal(next.status, 201, `the next $1 event: ${next.status} ${JSON.stringify(next.body)}`);
    assert.deepEqual(
      await storeSpend(server, t.customerId, agentId),
      await dbSpendOf(server, t.customerId, agentId),
      'store counters equal PostgreSQL',
    );
  });

  it("3c: a lost reply to decide does not leave the key in flight — the client's retries end in 201, recorded once", async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'decide-bot', { month_usd: 10 });
    // Counters loaded first, so the lost reply is the decision's own (not a rebuild's).
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'decide-bot', cost_micros: 1 })).status,
      201,
    );
    const body = { agent: 'decide-bot', cost_micros: 2 * USD };
    const key = newKey('d');
    const lost = redisProxy.loseNextReply((chunk) => isScript(chunk, 'decide'));
    const statuses: number[] = [];
    const final = await retrying(async () => {
      const r = await postEvent(server.url, t.adminKey, body, key);
      statuses.push(r.status);
      return r;
    }, 10_000);
    await within(2_000, 'the decide reply was lost', lost);
    assert.equal(
      final.status,
      201,
      `after ${statuses.length} tries in 10 s the key still answers ${final.status} ${JSON.stringify(final.body?.error?.code)}`,
    );
    const rows = await dbSpend(databaseUrl, t.customerId, 'decide-bot');
    assert.deepEqual(rows, { events: 2 * USD + 1, count: 2, daily: 2 * USD + 1 }, 'recorded once');
  });
});
