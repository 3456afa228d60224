// budget.threshold alerts (docs/api.md §13): each threshold of a limit fires exactly once when 100 concurrent events on
// two instances cross it (both instances sweep; nothing is sent twice, also after the final pass); a spend row that
// commits late — after the fresh pass went by — is still caught by the final pass; a limit raise re-arms what the
// spend has not reached under the new limit; the customer's thresholds are validated, sorted, and [] means none.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../../../packages/sdk/src/index.js';
import { newId } from '../../src/ids.js';
import { sweepThresholds } from '../../src/webhooks/thresholds.js';
import { createAgent, postEvent, sql } from '../engine/helpers.js';
import {
  api,
  openTestDb,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../harness.js';
import { ALLOW_PRIVATE, type Receiver, startReceiver, twoInstancesAndReceiver } from './receiver.js';

interface ThresholdData {
  scope: 'agent' | 'customer';
  agent?: string;
  period: 'month' | 'day';
  threshold_percent: number;
  limit_micros: number;
  spent_micros: number;
  resets_at: string;
}

async function subscribe(server: TestServer, t: Tenant, url: string) {
  const res = await api(server.url, '/v1/webhooks', {
    key: t.adminKey,
    body: { url, events: ['budget.threshold'] },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string; secret: string };
}

/** Resolves once the sweep's cursor (fresh or final) has passed `at` (PostgreSQL's clock, ms). */
async function sweptPast(
  databaseUrl: string,
  cursor: 'fresh_until' | 'final_until',
  at: number,
  ms = 40_000,
) {
  const until = Date.now() + ms;
  for (;;) {
    const [row] = await sql<{ t: Date }>(databaseUrl, `SELECT ${cursor} AS t FROM budget_alert_sweep`);
    if (row && row.t.getTime() > at) return;
    if (Date.now() > until)
      throw new Error(`the sweep's ${cursor} did not pass ${new Date(at).toISOString()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function pgNow(databaseUrl: string): Promise<number> {
  const rows = await sql<{ t: Date }>(databaseUrl, 'SELECT now() AS t');
  return rows[0]?.t.getTime() ?? Number.NaN;
}

describe('budget.threshold: 100 concurrent events on two instances', () => {
  const servers = twoInstancesAndReceiver();

  it('each threshold of the agent month and customer month limits is delivered once, signed, with its numbers', async () => {
    const { a, b, receiver } = servers;
    const t = await signupAndAdminKey(a.url);
    const db = a.databaseUrl as string;
    const customer = await api(a.url, '/v1/customer', {
      key: t.adminKey,
      method: 'PATCH',
      body: { limits: { month_micros: 2_000_000 } },
    });
    assert.equal(customer.status, 200);
    assert.deepEqual(customer.body.alert_thresholds_percent, [50, 80, 100]);
    const endpoint = await subscribe(a, t, receiver.url);
    await createAgent(a.url, t.adminKey, 'crosser', { month_micros: 1_000_000 });

    // 100 × 10,000 µ$ = exactly the agent's limit (reaching it is allowed): 50, 80 and 100 % of the agent's month,
    // 50 % of the customer's.
    const responses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postEvent(i % 2 ? a.url : b.url, t.adminKey, { agent: 'crosser', cost_micros: 10_000 }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status).filter((s) => s !== 201),
      [],
    );
    const lastCommit = await pgNow(db);
    await receiver.waitFor(4, 20_000);
    // Both instances keep sweeping; the final pass looks at every row again once nothing can still be committing.
    await sweptPast(db, 'final_until', lastCommit);
    await new Promise((r) => setTimeout(r, 1_500));

    assert.equal(receiver.received.length, 4, 'nothing delivered twice');
    const alerts = await Promise.all(
      receiver.received.map((r) =>
        verifyWebhook<ThresholdData>(r.body, r.headers['spendguard-signature'] as string, endpoint.secret),
      ),
    );
    assert.equal(new Set(alerts.map((x) => x.id)).size, 4);
    assert.ok(alerts.every((x) => x.type === 'budget.threshold'));
    const summary = alerts
      .map((x) => `${x.data.scope}:${x.data.agent ?? '-'}:${x.data.period}:${x.data.threshold_percent}`)
      .sort();
    assert.deepEqual(summary, [
      'agent:crosser:month:100',
      'agent:crosser:month:50',
      'agent:crosser:month:80',
      'customer:-:month:50',
    ]);
    const now = new Date();
    const nextMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
    for (const x of alerts) {
      assert.equal(x.data.resets_at, nextMonth);
      const limit = x.data.scope === 'agent' ? 1_000_000 : 2_000_000;
      assert.equal(x.data.limit_micros, limit);
      // Committed spend when the sweep saw it: at least the threshold, at most everything.
      assert.ok(x.data.spent_micros * 100 >= x.data.threshold_percent * limit, JSON.stringify(x.data));
      assert.ok(x.data.spent_micros <= 1_000_000);
    }
  });
});

describe('budget.threshold: a spend row that commits late', () => {
  it('is missed by the fresh pass and caught by the final pass, once', async () => {
    const { db, close } = await openTestDb('postgres');
    try {
      const customerId = newId('cus');
      const agentId = newId('agt');
      await db.query(`INSERT INTO customers (id, name) VALUES ($1, 'c')`, [customerId]);
      await db.query(
        `INSERT INTO agents (id, customer_id, name, month_limit_micros) VALUES ($1, $2, 'late', 100)`,
        [agentId, customerId],
      );
      await db.query(
        `INSERT INTO webhook_endpoints (id, customer_id, url, events, secret) VALUES ($1, $2, 'https://x.test/', $3, 'whsec_x')`,
        [newId('wh'), customerId, ['budget.threshold']],
      );
      const options = { finalAfterMs: 3_000 };
      await sweepThresholds(db, options);
      await db.transaction(async (late) => {
        // Stamped now, committed only after sweeps went past the stamp: what a slow batch on another instance does.
        await late.query(
          `INSERT INTO spend_daily (customer_id, agent_id, day, shard, spent_micros, event_count, updated_at)
           VALUES ($1, $2, (now() AT TIME ZONE 'UTC')::date, 0, 90, 1, statement_timestamp())`,
          [customerId, agentId],
        );
        for (let i = 0; i < 4; i++) {
          await new Promise((r) => setTimeout(r, 250));
          assert.equal(await sweepThresholds(db, options), 0, 'not visible before its commit');
        }
      });
      assert.equal(await sweepThresholds(db, options), 0, 'the fresh pass is already past its stamp');
      const fired: number[] = [];
      const until = Date.now() + 10_000;
      while (fired.length === 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 250));
        const n = await sweepThresholds(db, options);
        if (n) fired.push(n);
      }
      assert.deepEqual(fired, [2], 'the final pass fires 50 and 80 % together');
      await new Promise((r) => setTimeout(r, 3_500));
      assert.equal(await sweepThresholds(db, options), 0);
      const { rows } = await db.query<{ body: string }>(
        `SELECT body FROM webhook_events WHERE customer_id = $1 ORDER BY body`,
        [customerId],
      );
      const data = rows.map((r) => (JSON.parse(r.body) as { data: ThresholdData }).data);
      assert.deepEqual(
        data.map((d) => [d.scope, d.agent, d.threshold_percent, d.spent_micros, d.limit_micros]).sort(),
        [
          ['agent', 'late', 50, 90, 100],
          ['agent', 'late', 80, 90, 100],
        ],
      );
      const [deliveries] = (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE customer_id = $1`,
          [customerId],
        )
      ).rows;
      assert.equal(deliveries?.n, 2);
    } finally {
      await close();
    }
  });
});

describe('budget.threshold: settings and re-arming', () => {
  let server: TestServer;
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
    server = await startTestServer({ env: ALLOW_PRIVATE });
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  const fired = async (customerId: string) =>
    (
      await sql<{ threshold_percent: number; limit_micros: string }>(
        server.databaseUrl as string,
        `SELECT threshold_percent, limit_micros FROM budget_alerts_fired WHERE customer_id = $1
          ORDER BY fired_at, threshold_percent`,
        [customerId],
      )
    ).map((r) => `${r.threshold_percent}@${r.limit_micros}`);

  it('alert_thresholds_percent: integers 1–100, unique, at most 10; refused changes change nothing', async () => {
    const t = await signupAndAdminKey(server.url);
    const patch = (value: unknown) =>
      api(server.url, '/v1/customer', {
        key: t.adminKey,
        method: 'PATCH',
        body: { alert_thresholds_percent: value },
      });
    for (const bad of [
      [0],
      [101],
      [50, 50],
      Array.from({ length: 11 }, (_, i) => i + 1),
      [50.5],
      ['50'],
      80,
    ]) {
      const res = await patch(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    const unchanged = await api(server.url, '/v1/customer', { key: t.adminKey });
    assert.deepEqual(unchanged.body.alert_thresholds_percent, [50, 80, 100]);
    const saved = await patch([90, 25]);
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body.alert_thresholds_percent, [25, 90]);
  });

  it('a day limit fires with the day as its window, resetting at the next UTC midnight', async () => {
    const t = await signupAndAdminKey(server.url);
    const db = server.databaseUrl as string;
    await createAgent(server.url, t.adminKey, 'daily', { day_micros: 10_000 });
    const before = new Date().toISOString().slice(0, 10);
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'daily', cost_micros: 8_000 })).status,
      201,
    );
    await sweptPast(db, 'fresh_until', await pgNow(db));
    const rows = await sql<{ period: string; window_key: string; threshold_percent: number; body: string }>(
      db,
      `SELECT f.period, f.window_key, f.threshold_percent, e.body FROM budget_alerts_fired f
         JOIN webhook_events e ON e.customer_id = f.customer_id AND e.type = 'budget.threshold'
          AND (e.body::jsonb -> 'data' ->> 'threshold_percent')::int = f.threshold_percent
        WHERE f.customer_id = $1 ORDER BY f.threshold_percent`,
      [t.customerId],
    );
    // The window is the UTC day the spend was recorded on (read back, so a run across midnight holds too).
    const day = rows[0]?.window_key as string;
    assert.ok([before, new Date().toISOString().slice(0, 10)].includes(day), day);
    assert.deepEqual(
      rows.map((r) => [r.period, r.window_key, r.threshold_percent]),
      [
        ['day', day, 50],
        ['day', day, 80],
      ],
    );
    const nextMidnight = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
    assert.equal(
      (JSON.parse(rows[0]?.body as string) as { data: ThresholdData }).data.resets_at,
      nextMidnight,
    );
  });

  it('a raised limit re-arms the thresholds not reached under it; [] fires nothing', async () => {
    const t = await signupAndAdminKey(server.url);
    const db = server.databaseUrl as string;
    await subscribe(server, t, receiver.url);
    await createAgent(server.url, t.adminKey, 'rearm', { month_micros: 100_000 });
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'rearm', cost_micros: 85_000 })).status,
      201,
    );
    await sweptPast(db, 'fresh_until', await pgNow(db));
    assert.deepEqual(await fired(t.customerId), ['50@100000', '80@100000']);

    // 85,000 of 200,000 is 42.5 %: 50 and 80 are armed again; 105,000 reaches 50 % of the new limit.
    const raised = await api(server.url, '/v1/agents/rearm', {
      key: t.adminKey,
      method: 'PATCH',
      body: { limits: { month_micros: 200_000 } },
    });
    assert.equal(raised.status, 200, JSON.stringify(raised.body));
    assert.deepEqual(await fired(t.customerId), []);
    assert.equal(
      (await postEvent(server.url, t.adminKey, { agent: 'rearm', cost_micros: 20_000 })).status,
      201,
    );
    await sweptPast(db, 'fresh_until', await pgNow(db));
    assert.deepEqual(await fired(t.customerId), ['50@200000']);

    const quiet = await signupAndAdminKey(server.url);
    await api(server.url, '/v1/customer', {
      key: quiet.adminKey,
      method: 'PATCH',
      body: { alert_thresholds_percent: [] },
    });
    await createAgent(server.url, quiet.adminKey, 'quiet', { month_micros: 1_000 });
    assert.equal(
      (await postEvent(server.url, quiet.adminKey, { agent: 'quiet', cost_micros: 1_000 })).status,
      201,
    );
    await sweptPast(db, 'fresh_until', await pgNow(db));
    assert.deepEqual(await fired(quiet.customerId), []);
  });
});
