// Bad input is the client's alone (docs/api.md §5): a `\u0000` or a lone surrogate anywhere in a body PostgreSQL would store
// is `400 invalid_request`, nothing is recorded, a retry with the same key is 400 again (not "retry" forever), and
// it never makes another request — of another tenant least of all — fail. JSON.stringify writes these characters as
// the escapes `\u0000` / `\ud800`, exactly as a client's JSON would carry them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type TestServer, uniqueSuffix } from '../../harness.js';
import { countStatuses, createAgent, dbSpend, postEvent, sql } from '../helpers.js';
import { dbAgentState, storeAgentState } from './probe.js';

const BAD_METADATA: Array<Record<string, unknown>> = [
  { note: 'a\u0000b' },
  { 'k\u0000': 1 },
  { note: '\ud800' },
  { '\udfffx': 'y' },
  { deep: { list: ['fine', 'x\u0000'] } },
];

async function eventCount(databaseUrl: string, customerId: string): Promise<number> {
  const [row] = await sql<{ n: string }>(
    databaseUrl,
    'SELECT count(*) AS n FROM events WHERE customer_id = $1',
    [customerId],
  );
  return Number(row?.n);
}

describe('NUL and lone surrogates', () => {
  let server: TestServer;
  let databaseUrl: string;
  before(async () => {
    server = await startTestServer();
    databaseUrl = server.databaseUrl as string;
  });
  after(async () => {
    await server.close();
  });

  it('an event with one in its metadata is 400 invalid_request, records nothing, and stays 400 when retried', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'nul-bot', { month_micros: 1_000_000 });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'nul-bot', cost_micros: 10 })).status,
      201,
    );
    const answers: string[] = [];
    for (const [i, metadata] of BAD_METADATA.entries()) {
      const body = { agent: 'nul-bot', cost_micros: 100, metadata };
      const first = await postEvent(server.url, t.adminKey, body, `bad-${i}`);
      const retry = await postEvent(server.url, t.adminKey, body, `bad-${i}`);
      const code = (r: typeof first) => `${r.status} ${r.body?.error?.code ?? ''}`;
      if (code(first) !== '400 invalid_request' || code(retry) !== '400 invalid_request')
        answers.push(`${JSON.stringify(metadata)}: first ${code(first)}, retry ${code(retry)}`);
    }
    // Fields with a pattern refuse them too.
    for (const body of [
      { agent: 'nul\u0000bot', cost_micros: 100 },
      { agent: 'nul-bot', cost_micros: 100, run: 'r\u0000' },
    ]) {
      const r = await postEvent(server.url, t.adminKey, body);
      if (r.status !== 400) answers.push(`${JSON.stringify(body)}: ${r.status}`);
    }
    const spend = await dbSpend(databaseUrl, t.customerId, 'nul-bot');
    const rows = await eventCount(databaseUrl, t.customerId);
    const agent = await api(server.url, '/v1/agents/nul-bot', { key: t.adminKey });
    const after = await postEvent(server.url, t.adminKey, { agent: 'nul-bot', cost_micros: 10 });
    assert.deepEqual(answers, [], 'every bad event answers 400 invalid_request, retried too');
    assert.deepEqual(spend, { events: 10, count: 1, daily: 10 }, 'nothing of the bad events in PostgreSQL');
    assert.equal(rows, 1, 'no declined row either');
    assert.equal(agent.body.spend.month_micros, 10, 'nothing of them counted in the store');
    assert.equal(after.status, 201);
    assert.equal(after.body.budget.agent.month.spent_micros, 20);
  });

  it('a reservation commit with one in its metadata is 400 and the hold can still be committed', async () => {
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'nul-rsv', { month_micros: 1_000_000 });
    const held = await api(server.url, '/v1/reservations', {
      key: t.adminKey,
      body: { agent: 'nul-rsv', amount_micros: 5_000 },
      headers: { 'idempotency-key': `rsv-${uniqueSuffix()}` },
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const id = held.body.reservation.id as string;
    const answers: string[] = [];
    for (const metadata of BAD_METADATA) {
      const r = await api(server.url, `/v1/reservations/${id}/commit`, {
        key: t.adminKey,
        body: { cost_micros: 4_000, metadata },
      });
      if (r.status !== 400 || r.body?.error?.code !== 'invalid_request')
        answers.push(`${JSON.stringify(metadata)}: ${r.status} ${r.body?.error?.code ?? ''}`);
    }
    const good = await api(server.url, `/v1/reservations/${id}/commit`, {
      key: t.adminKey,
      body: { cost_micros: 4_000, metadata: { ok: true } },
    });
    assert.deepEqual(answers, [], 'every bad commit answers 400 invalid_request');
    assert.equal(good.status, 201, JSON.stringify(good.body));
    assert.deepEqual(await dbSpend(databaseUrl, t.customerId, 'nul-rsv'), {
      events: 4_000,
      count: 1,
      daily: 4_000,
    });
  });

  it('names and other stored strings with one are 400 and create nothing', async () => {
    const t = await signupAndAdminKey(server.url);
    const answers: string[] = [];
    const check = async (what: string, r: Promise<{ status: number; body: unknown }>) => {
      const res = await r;
      const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
      if (res.status !== 400 || code !== 'invalid_request')
        answers.push(`${what}: ${res.status} ${code ?? ''}`);
    };
    for (const bad of ['key\u0000', '\ud800key']) {
      await check(
        `api key name ${JSON.stringify(bad)}`,
        api(server.url, '/v1/api-keys', { key: t.adminKey, body: { name: bad, kind: 'ingest' } }),
      );
      await check(
        `agent name ${JSON.stringify(bad)}`,
        api(server.url, '/v1/agents', { key: t.adminKey, body: { name: bad } }),
      );
    }
    const email = `nul-${uniqueSuffix()}@example.test`;
    await check(
      'signup company with NUL',
      api(server.url, '/v1/auth/signup', {
        body: { email, password: `pw-${randomBytes(12).toString('hex')}`, company: 'Acme\u0000 Inc' },
      }),
    );
    const [keys] = await sql<{ n: string }>(
      databaseUrl,
      `SELECT count(*) AS n FROM api_keys WHERE customer_id = $1 AND name <> 'test admin'`,
      [t.customerId],
    );
    const [users] = await sql<{ n: string }>(
      databaseUrl,
      'SELECT count(*) AS n FROM users WHERE email = $1',
      [email],
    );
    assert.deepEqual(answers, [], 'every bad string answers 400 invalid_request');
    assert.equal(Number(keys?.n), 0, 'no API key created');
    assert.equal(Number(users?.n), 0, 'no user created');
  });

  it("one tenant's NUL events never make another tenant's events fail", async () => {
    const good = await signupAndAdminKey(server.url);
    const bad = await signupAndAdminKey(server.url);
    for (let i = 0; i < 4; i++)
      await createAgent(server.url, good.adminKey, `good-${i}`, { month_micros: null });
    await createAgent(server.url, bad.adminKey, 'bad-bot', { month_micros: null });
    // Interleaved, so the bad events land in the same group-commit batches as the good ones.
    const goods: Array<ReturnType<typeof postEvent>> = [];
    const bads: Array<ReturnType<typeof postEvent>> = [];
    for (let i = 0; goods.length < 300; i++) {
      if (i % 6 === 5) {
        bads.push(
          postEvent(server.url, bad.adminKey, {
            agent: 'bad-bot',
            cost_micros: 1,
            metadata: i % 12 === 5 ? { note: `x\u0000${i}` } : { [`\ud800${i}`]: i },
          }),
        );
      } else {
        goods.push(
          postEvent(server.url, good.adminKey, { agent: `good-${i % 4}`, cost_micros: 1, metadata: { i } }),
        );
      }
    }
    const [goodAnswers, badAnswers] = await Promise.all([Promise.all(goods), Promise.all(bads)]);
    const [row] = await sql<{ n: string }>(
      databaseUrl,
      `SELECT count(*) AS n FROM events WHERE customer_id = $1 AND status = 'accepted'`,
      [good.customerId],
    );
    assert.deepEqual(
      countStatuses(goodAnswers),
      { 201: 300 },
      `the other tenant's bad events answered ${JSON.stringify(countStatuses(badAnswers))}`,
    );
    assert.equal(Number(row?.n), 300);
    assert.deepEqual(countStatuses(badAnswers), { 400: bads.length });
  });

  it('a suspend whose note holds one is 400 and changes nothing: PostgreSQL and the store say active', async () => {
    const t = await signupAndAdminKey(server.url);
    const created = await createAgent(server.url, t.adminKey, 'nul-note', { month_micros: 1_000_000 });
    const agentId = created.body.id as string;
    const problems: string[] = [];
    for (const note of ['stop\u0000now', 'stop \ud800']) {
      const r = await api(server.url, '/v1/agents/nul-note/suspend', { key: t.adminKey, body: { note } });
      if (r.status !== 400 || r.body?.error?.code !== 'invalid_request')
        problems.push(`suspend ${JSON.stringify(note)}: ${r.status} ${r.body?.error?.code ?? ''}`);
      const db = await dbAgentState(databaseUrl, t.customerId, agentId);
      const store = await storeAgentState(server, t.customerId, agentId);
      if (db?.status !== 'active' || store?.status !== 'active')
        problems.push(`after it: PostgreSQL ${db?.status}, store ${store?.status}`);
      const next = await postEvent(server.url, t.adminKey, { agent: 'nul-note', cost_micros: 1 });
      if (next.status !== 201) problems.push(`next event ${next.status} ${next.body?.error?.code ?? ''}`);
    }
    assert.deepEqual(problems, []);
  });
});
