// The randomised fault-injection suite (issue 11 acceptance). Two instances of one deployment, each reaching
// PostgreSQL and Redis through proxies of its own; for CHAOS_MS, clients spend at the last dollar (new keys and the
// same key retried, sometimes sent to both instances at once), people PATCH limits, suspend and resume from both
// instances, and faults hit random links: replies lost after the command ran, connections stalled before or after a
// command, latency, cuts. Then the faults end, the clients finish their retries, and the reconciler runs on its own
// schedule (entries older than STALE_AFTER_MS). Afterwards:
//   - accepted spend never above the highest month limit ever set;
//   - every 2xx is in PostgreSQL exactly once (with the event id it was answered with), every final answer matches;
//   - the store's counters and agent state equal PostgreSQL's;
//   - GET equals what the next decision of either instance uses;
//   - a suspend whose 200 was the last word on an agent is still in force.
// The seed is printed; CHAOS_SEED=<seed> replays a run (CHAOS_MS sets its length).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STALE_AFTER_MS } from '../../../src/spend/bounds.js';
import {
  type ApiResponse,
  api,
  createTestDatabase,
  newRedisPrefix,
  PG_PORT,
  REDIS_PORT,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
  type TestDatabase,
  type TestServer,
} from '../../harness.js';
import { startTcpProxy, type TcpProxy } from '../../tcp-proxy.js';
import { createAgent, type Json, postEvent, sql } from '../helpers.js';
import { agentIdOf, newKey, sleep, USD } from './fault-helpers.js';
import { dbAgentState, dbSpendOf, isEventBatch, storeAgentState, storeSpend } from './probe.js';

const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CHAOS_MS = Number(process.env.CHAOS_MS ?? 20_000);
const AGENTS = ['alpha', 'beta', 'gamma'];
/** The month limit alternates between these (PATCH); accepted spend must stay within the higher one. */
const LOW = 300_000;
const HIGH = 600_000;

/** mulberry32: a small seeded PRNG, so a run replays from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

interface Instance {
  server: TestServer;
  pg: TcpProxy;
  redis: TcpProxy;
}

interface KeyLog {
  agent: string;
  cost: number;
  /** Every answer the key got, in order. */
  answers: Array<{ status: number; eventId: string | null }>;
}

/** Sends until the answer is final (not 503/409 in flight, not a dead connection): what a careful client does. */
async function untilSettled(
  send: () => Promise<ApiResponse<Json>>,
  log?: KeyLog,
): Promise<ApiResponse<Json>> {
  const started = Date.now();
  for (;;) {
    let r: ApiResponse<Json> | null = null;
    try {
      r = await send();
      log?.answers.push({ status: r.status, eventId: r.body?.event?.id ?? r.body?.error?.event?.id ?? null });
    } catch {
      // the connection died: outcome unknown, retry
    }
    if (r && r.status !== 503 && r.status !== 409) return r;
    if (Date.now() - started > 120_000) throw new Error(`not settled after 120 s: ${r?.status}`);
    await sleep(100 + Math.floor(Math.random() * 200));
  }
}

describe('chaos: two instances, random faults on every link, last-dollar spending and kill-switch changes', () => {
  let database: TestDatabase;
  const instances: Instance[] = [];
  let t: Tenant;

  before(async () => {
    database = await createTestDatabase();
    const prefix = newRedisPrefix();
    const path = new URL(database.url).pathname;
    for (let i = 0; i < 2; i++) {
      const pg = await startTcpProxy(PG_PORT);
      const redis = await startTcpProxy(REDIS_PORT);
      const server = await startTestServer({
        databaseUrl: pg.url('postgres', path),
        redisUrl: redis.url('redis'),
        redisPrefix: prefix,
      });
      instances.push({ server, pg, redis });
    }
    t = await signupAndAdminKey(instances[0]!.server.url);
    for (const name of AGENTS)
      await createAgent(instances[0]!.server.url, t.adminKey, name, { month_micros: HIGH });
  });
  after(async () => {
    for (const { server, pg, redis } of instances.reverse()) {
      pg.resume();
      redis.resume();
      await server.close();
      await pg.close();
      await redis.close();
    }
    await database.drop();
  });

  it(`holds every invariant after the faults end (seed ${SEED})`, { timeout: 240_000 }, async (context) => {
    context.diagnostic(`CHAOS_SEED=${SEED} CHAOS_MS=${CHAOS_MS}`);
    const rnd = prng(SEED);
    const until = Date.now() + CHAOS_MS;
    const keys = new Map<string, KeyLog>();
    const urls = instances.map((i) => i.server.url);
    /** Per agent, every suspend and resume that answered 200, with when it was sent and answered. */
    const statusOps = new Map<string, Array<{ op: 'suspend' | 'resume'; start: number; end: number }>>();
    const limitsSet = new Set<number>([HIGH]);

    // Clients: new keys at the last dollar, a key now and then retried by two clients at once on both instances.
    const client = async (seed: number) => {
      const own = prng(seed);
      while (Date.now() < until) {
        const agent = own.pick(AGENTS);
        const cost = own.int(1, 6) * 10_000;
        const key = newKey('c');
        const log: KeyLog = { agent, cost, answers: [] };
        keys.set(key, log);
        const send = (url: string) => () => postEvent(url, t.adminKey, { agent, cost_micros: cost }, key);
        if (own.chance(0.2)) {
          await Promise.all(urls.map((url) => untilSettled(send(url), log)));
        } else {
          await untilSettled(send(own.pick(urls)), log);
        }
      }
    };

    // People: two per agent, each changing it one step at a time from either instance (so changes of one agent race
    // each other), each retried until it answered 200.
    /** Resumes in progress per agent, and the kill switch's "very next event is declined" misses seen. */
    const resuming = new Map<string, number>();
    const notBitten: string[] = [];
    let bites = 0;
    const statusChange = async (agent: string, op: 'suspend' | 'resume', url: string) => {
      const start = Date.now();
      if (op === 'resume') resuming.set(agent, (resuming.get(agent) ?? 0) + 1);
      try {
        const r = await untilSettled(() =>
          api(url, `/v1/agents/${agent}/${op}`, {
            key: t.adminKey,
            body: op === 'suspend' ? { note: 'chaos' } : {},
          }),
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
      } finally {
        if (op === 'resume') resuming.set(agent, (resuming.get(agent) ?? 1) - 1);
      }
      statusOps.set(agent, [...(statusOps.get(agent) ?? []), { op, start, end: Date.now() }]);
      if (op !== 'suspend') return;
      // The very next event on the OTHER instance is declined — unless a resume of this agent ran meanwhile.
      const other = urls[1 - urls.indexOf(url)]!;
      const resumedSince = () =>
        (resuming.get(agent) ?? 0) > 0 ||
        (statusOps.get(agent) ?? []).some((o) => o.op === 'resume' && o.end >= start);
      if (resumedSince()) return;
      const next = await untilSettled(() => postEvent(other, t.adminKey, { agent, cost_micros: 0 }));
      if (resumedSince()) return;
      bites += 1;
      if (next.body?.error?.code !== 'agent_suspended')
        notBitten.push(`${agent}: ${next.status} ${next.body?.error?.code}`);
    };
    const person = async (agent: string, seed: number) => {
      const own = prng(seed);
      while (Date.now() < until - 4_000) {
        const url = own.pick(urls);
        const roll = own.next();
        if (roll < 0.35) {
          const month = own.chance(0.5) ? LOW : HIGH;
          limitsSet.add(month);
          const body = {
            limits: {
              month_micros: month,
              velocity: own.chance(0.3) ? { window_seconds: 5, max_micros: 200_000 } : null,
            },
          };
          const r = await untilSettled(() =>
            api(url, `/v1/agents/${agent}`, { key: t.adminKey, method: 'PATCH', body }),
          );
          assert.equal(r.status, 200, JSON.stringify(r.body));
        } else {
          await statusChange(agent, roll < 0.7 ? 'suspend' : 'resume', url);
        }
        await sleep(own.int(100, 600));
      }
    };

    // Faults: one at a time per link, on a random link of a random instance.
    const faults: string[] = [];
    const chaos = async () => {
      while (Date.now() < until - 1_000) {
        const target = rnd.pick(instances);
        const onPg = rnd.chance(0.5);
        const link = onPg ? target.pg : target.redis;
        const lasting = rnd.int(100, 1_500);
        const kind = rnd.pick(['lose', 'stallBefore', 'stallAfter', 'delay', 'cut', 'pause'] as const);
        const name = `${instances.indexOf(target) === 0 ? 'A' : 'B'} ${onPg ? 'pg' : 'redis'} ${kind} ${lasting} ms`;
        faults.push(name);
        const match = onPg
          ? isEventBatch
          : (chunk: Buffer) => /evalsha|eval/i.test(chunk.toString('latin1', 0, 64));
        if (kind === 'lose') void link.loseNextReply(match);
        else if (kind === 'stallBefore') void link.stallBefore(match);
        else if (kind === 'stallAfter') void link.stallAfter(match);
        else if (kind === 'delay') link.delay(rnd.int(20, 300));
        else if (kind === 'cut') link.cut();
        else link.pause();
        await sleep(lasting);
        link.clearFaults();
        link.resume();
        await sleep(rnd.int(50, 400));
      }
    };

    // The last word on each agent, while faults and spending go on: a suspend (two agents) or a resume (one).
    const lastWord = async () => {
      await Promise.all(
        AGENTS.flatMap((agent, i) => [person(agent, SEED + 100 + i), person(agent, SEED + 200 + i)]),
      );
      await Promise.all(
        AGENTS.map((agent, i) => statusChange(agent, i < 2 ? 'suspend' : 'resume', rnd.pick(urls))),
      );
    };
    await Promise.all([...Array.from({ length: 8 }, (_, i) => client(SEED + 1 + i)), lastWord(), chaos()]);
    for (const { pg, redis } of instances) {
      pg.clearFaults();
      pg.resume();
      redis.clearFaults();
      redis.resume();
    }
    context.diagnostic(`${bites} answered suspends checked on the other instance`);
    assert.deepEqual(
      notBitten,
      [],
      'after a suspend answered 200, the next event on the other instance was accepted',
    );
    context.diagnostic(`${keys.size} keys, ${faults.length} faults: ${faults.slice(0, 12).join('; ')}…`);

    // Faults have ended; no reconciler round yet. Every change was retried until it answered 200, so its write-
    // through reached the store after its commit and no older write can have undone it: the kill switch of an agent
    // whose last word was an answered suspend bites on both instances now, and the store holds PostgreSQL's state.
    for (const name of AGENTS) {
      const agentId = await agentIdOf(database.url, t.customerId, name);
      const db = await dbAgentState(database.url, t.customerId, agentId);
      for (const { server } of instances) {
        assert.deepEqual(
          await storeAgentState(server, t.customerId, agentId),
          db,
          `${name}: state before any repair`,
        );
      }
      if (statusOps.get(name)?.at(-1)?.op !== 'suspend') continue;
      for (const url of urls) {
        const next = await untilSettled(() => postEvent(url, t.adminKey, { agent: name, cost_micros: 0 }));
        assert.equal(
          next.body.error?.code,
          'agent_suspended',
          `${name}: the answered suspend does not bite at once`,
        );
      }
    }

    // The reconciler settles what is older than STALE_AFTER_MS: wait for that, then one round on its own cut (as its
    // timer would run it).
    await sleep(STALE_AFTER_MS + 1_500);
    for (const { server } of instances) await server.app.ctx.spend.reconciler.reconcileOnce();

    const customerId = t.customerId;
    const rows = await sql<{ id: string; key: string; agent: string; cost: string; status: string }>(
      database.url,
      `SELECT e.id, e.idempotency_key AS key, a.name AS agent, e.cost_micros AS cost, e.status
         FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.customer_id = $1`,
      [customerId],
    );
    const byKey = new Map(rows.map((r) => [r.key, r]));
    assert.equal(byKey.size, rows.length, 'no key recorded twice');

    // Every 2xx in PostgreSQL exactly once, with the id it was answered with; every final answer as recorded.
    const violations: string[] = [];
    for (const [key, log] of keys) {
      const row = byKey.get(key);
      const final = log.answers.at(-1);
      const acked = log.answers.filter((a) => a.status === 201);
      if (acked.length > 0) {
        if (row?.status !== 'accepted') violations.push(`${key}: answered 201, PostgreSQL ${row?.status}`);
        for (const a of acked)
          if (row && a.eventId !== row.id) violations.push(`${key}: 201 with ${a.eventId}, stored ${row.id}`);
      }
      if (final?.status === 403 && row?.status !== 'declined')
        violations.push(`${key}: final 403, stored ${row?.status}`);
      if (final?.status === 201 && row && Number(row.cost) !== log.cost)
        violations.push(`${key}: cost differs`);
    }
    assert.deepEqual(violations.slice(0, 20), [], `${violations.length} violations`);

    const maxLimit = Math.max(...limitsSet);
    let checkedSuspends = 0;
    for (const name of AGENTS) {
      const agentId = await agentIdOf(database.url, customerId, name);
      const accepted = rows
        .filter((r) => r.agent === name && r.status === 'accepted')
        .reduce((sum, r) => sum + Number(r.cost), 0);
      assert.ok(
        accepted <= maxLimit,
        `${name}: ${accepted / USD} USD accepted, the limit was at most ${maxLimit / USD}`,
      );

      for (const { server } of instances) {
        // The store equals PostgreSQL: counters and state.
        assert.deepEqual(
          await storeSpend(server, customerId, agentId),
          await dbSpendOf(server, customerId, agentId),
          `${name}: spend`,
        );
        assert.deepEqual(
          await storeAgentState(server, customerId, agentId),
          await dbAgentState(database.url, customerId, agentId),
          `${name}: state`,
        );
      }

      // GET equals what the next decision uses, on both instances.
      const got = await api(urls[0]!, `/v1/agents/${name}`, { key: t.adminKey });
      assert.equal(got.status, 200);
      for (const url of urls) {
        const next = await postEvent(url, t.adminKey, { agent: name, cost_micros: 0 });
        if (got.body.status === 'suspended') {
          assert.equal(next.status, 403, `${name}: GET suspended, next event ${next.status}`);
          assert.equal(next.body.error.code, 'agent_suspended');
          assert.equal(next.body.error.reason, got.body.suspended_reason);
        } else {
          assert.equal(
            next.status,
            201,
            `${name}: GET active, next event ${next.status} ${JSON.stringify(next.body)}`,
          );
          assert.equal(next.body.budget.agent.month.limit_micros, got.body.limits.month_micros);
          assert.equal(next.body.budget.agent.month.spent_micros, got.body.spend.month_micros);
        }
      }

      // A suspend that answered 200 stays in force unless a resume came later: the last suspend to answer, when no
      // resume overlapped or followed it (a concurrent resume may legitimately be ordered after it).
      const ops = statusOps.get(name) ?? [];
      const lastSuspend = ops
        .filter((o) => o.op === 'suspend')
        .sort((x, y) => x.end - y.end)
        .at(-1);
      if (lastSuspend && ops.every((o) => o.op === 'suspend' || o.end < lastSuspend.start)) {
        assert.equal(got.body.status, 'suspended', `${name}: a suspend that answered 200 was undone`);
        assert.equal(got.body.suspended_reason, 'manual');
        checkedSuspends += 1;
      }
    }
    context.diagnostic(`${checkedSuspends} of ${AGENTS.length} agents ended on an answered suspend`);
  });
});
