// The decision rules exist twice: decide.ts (the memory store) and lua/rules.lua (the Redis scripts). This test feeds
// the same random cases to both — the Lua through EVAL of the real library, no store around it — so the two copies
// cannot drift: judge (every decline and flip), judgeAfterCommit, the velocity window and the velocity rebuild.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { velocityWindow } from '../../src/budget/periods.js';
import { judge, judgeAfterCommit, periodKeys, type SpendView, type Verdict } from '../../src/spend/decide.js';
import { rebuiltVelocity } from '../../src/spend/memory-store.js';
import { LUA_LIBRARY } from '../../src/spend/redis-store.js';
import type { AgentLimits, StoredAgent, SuspendReason } from '../../src/spend/store.js';
import { openTestRedis, type TestRedis } from './fixtures.js';

const RUNS = Number(process.env.PARITY_RUNS ?? 1_500);
// Around a month boundary, so month/day keys and lapsed suspensions change within the cases.
const START = Date.parse('2026-11-30T22:00:00.000Z');

/** The harness: decodes one case (JSON in ARGV[1]), calls the named rule, answers in the rules' reply format. */
const HARNESS = `
local c = cjson.decode(ARGV[1])
local function opt(x) if x == cjson.null then return nil end return x end
local function agent_of(a)
  local out = { st = a.st, rs = a.rs, at = opt(a.at), pd = a.pd, lm = opt(a.lm), ld = opt(a.ld), lr = opt(a.lr),
    vw = opt(a.vw), vm = opt(a.vm), qm = opt(a.qm), qw = opt(a.qw), pv = '' }
  if opt(a.prov) then out.prov = { kind = a.prov.kind, reason = a.prov.reason, at = a.prov.at, key = a.prov.key } end
  return out
end
local function view_of(v)
  return { cm = v.cm, am = v.am, ad = v.ad, velocity = opt(v.velocity), run = opt(v.run), held_c = v.held_c,
    held_a = v.held_a, held_r = v.held_r, pend_a = v.pend_a, repeats = opt(v.repeats) }
end
if c.rule == 'judge' then
  return verdict_reply(judge(agent_of(c.agent), opt(c.climit), view_of(c.view), c.amount, c.run_id, c.hold, c.p, c.now))
elseif c.rule == 'after_commit' then
  return verdict_reply(judge_after_commit(agent_of(c.agent), view_of(c.view), c.actual, c.p, c.now))
elseif c.rule == 'vwindow' then
  local w, current, first = vwindow(c.now, c.window)
  return { w, current, first }
else
  local db, old, entries = {}, nil, {}
  for _, b in ipairs(c.db) do db[b[1]] = (db[b[1]] or 0) + b[2] end -- as load.lua reads PostgreSQL's rows
  if opt(c.old) then
    old = {}
    for _, b in ipairs(c.old.buckets) do old[b[1]] = b[2] end
  end
  for _, e in ipairs(c.entries) do entries[#entries + 1] = { amount = e[1], at = e[2] } end
  local old_width = nil
  if old then old_width = vwindow(c.now, c.old.window) end
  local out = {}
  for bucket, micros in pairs(rebuilt_velocity(c.window, c.now, db, old, old_width, entries)) do
    out[#out + 1] = { bucket, micros }
  end
  table.sort(out, function(x, y) return x[1] < y[1] end)
  return cjson.encode(out)
end`;

/** decide.ts's verdict in the rules' reply format (lua/rules.lua verdict_reply). */
function verdictReply(verdict: Verdict): string[] {
  if (verdict.kind === 'accept') return ['accept'];
  const d = verdict.decline;
  if (d.code === 'agent_suspended') return ['agent_suspended', d.reason, String(d.suspendedAt)];
  if (d.code === 'loop_detected') return ['loop_detected', String(d.count), String(d.windowSeconds)];
  return [
    'budget_exceeded',
    d.scope,
    d.period,
    String(d.limitMicros),
    String(d.spentMicros),
    d.resetsAt === null ? '' : String(d.resetsAt),
    verdict.flip?.reason ?? '',
    verdict.flip?.periodKey ?? '',
  ];
}

const micros = (max: number) => fc.integer({ min: 0, max });
const limit = (max: number) => fc.option(micros(max), { nil: null });
const limitsArb: fc.Arbitrary<AgentLimits> = fc.record({
  monthMicros: limit(500),
  dayMicros: limit(400),
  runMicros: limit(300),
  velocity: fc.option(
    fc.record({ windowSeconds: fc.integer({ min: 1, max: 3600 }), maxMicros: micros(300) }),
    {
      nil: null,
    },
  ),
  repeats: fc.option(
    fc.record({ max: fc.integer({ min: 1, max: 12 }), windowSeconds: fc.integer({ min: 1, max: 86_400 }) }),
    { nil: null },
  ),
});
const nowArb = fc.integer({ min: START, max: START + 4 * 3_600_000 });
const periodKeyArb = fc.constantFrom('2026-11', '2026-12', '2026-11-30', '2026-12-01', null);
const reasonArb = fc.constantFrom<SuspendReason>(
  'manual',
  'budget_exceeded',
  'velocity_exceeded',
  'loop_detected',
);
const agentArb: fc.Arbitrary<StoredAgent> = fc.record({
  state: fc.record({
    agentId: fc.constant('agt_p'),
    customerId: fc.constant('cus_p'),
    limitsVersion: fc.constant(1),
    statusVersion: fc.constant(1),
    status: fc.constantFrom<'active' | 'suspended'>('active', 'active', 'suspended'),
    suspendedReason: fc.option(reasonArb, { nil: null }),
    suspendedAt: fc.option(nowArb, { nil: null }),
    suspendedPeriod: periodKeyArb,
    limits: limitsArb,
  }),
  provisional: fc.option(
    fc.record({
      kind: fc.constantFrom<'flip' | 'suspend'>('flip', 'suspend'),
      token: fc.constant('tok'),
      reason: reasonArb,
      at: nowArb,
      periodKey: periodKeyArb,
    }),
    { nil: null, freq: 3 },
  ),
});
const viewArb = (tracked: { velocity: boolean }): fc.Arbitrary<SpendView> =>
  fc.record({
    customerMonth: micros(600),
    agentMonth: micros(500),
    agentDay: micros(400),
    velocity: tracked.velocity ? micros(300) : fc.constant(null),
    run: fc.option(micros(300), { nil: null }),
    held: fc.record({ customer: micros(100), agent: micros(100), run: micros(100) }),
    pendingAgent: micros(300),
    repeats: fc.option(
      fc.record({ fingerprint: fc.constant('fp'), count: fc.integer({ min: 0, max: 14 }) }),
      {
        nil: null,
      },
    ),
  });

/** The case as the harness reads it: the rules' field names, nulls where nothing is set. */
function luaAgent(agent: StoredAgent) {
  const { state, provisional } = agent;
  return {
    st: state.status,
    rs: state.suspendedReason ?? '',
    at: state.suspendedAt,
    pd: state.suspendedPeriod ?? '',
    lm: state.limits.monthMicros,
    ld: state.limits.dayMicros,
    lr: state.limits.runMicros,
    vw: state.limits.velocity?.windowSeconds ?? null,
    vm: state.limits.velocity?.maxMicros ?? null,
    qm: state.limits.repeats?.max ?? null,
    qw: state.limits.repeats?.windowSeconds ?? null,
    prov: provisional
      ? {
          kind: provisional.kind === 'flip' ? 'f' : 's',
          reason: provisional.reason,
          at: provisional.at,
          key: provisional.periodKey ?? '',
        }
      : null,
  };
}

function luaView(view: SpendView) {
  return {
    cm: view.customerMonth,
    am: view.agentMonth,
    ad: view.agentDay,
    velocity: view.velocity,
    run: view.run,
    held_c: view.held.customer,
    held_a: view.held.agent,
    held_r: view.held.run,
    pend_a: view.pendingAgent,
    repeats: view.repeats?.count ?? null,
  };
}

function luaPeriods(now: number) {
  const p = periodKeys(now);
  return { mk: p.monthKey, dk: p.dayKey, mr: p.monthResetsAt, dr: p.dayResetsAt };
}

describe('the decision rules in TypeScript and in Lua agree (EVAL of lua/rules.lua)', () => {
  let testRedis: TestRedis | undefined;
  const script = `${LUA_LIBRARY}\n${HARNESS}`;
  const lua = async (input: unknown) =>
    (await testRedis!.redis.eval(script, 0, JSON.stringify(input))) as Array<string | number> | string;
  before(async () => {
    testRedis = await openTestRedis();
  });
  after(async () => {
    await testRedis?.close();
  });

  it('judge: the same verdict, decline and flip for every case', async () => {
    await fc.assert(
      fc.asyncProperty(
        agentArb,
        fc.boolean().chain((velocity) => viewArb({ velocity })),
        limit(600),
        micros(400),
        fc.constantFrom('', 'run-1'),
        fc.boolean(),
        nowArb,
        async (agent, rawView, climit, amount, runId, hold, now) => {
          // The store tracks velocity exactly when the agent has a velocity limit.
          const view = { ...rawView, velocity: agent.state.limits.velocity ? (rawView.velocity ?? 0) : null };
          const expected = verdictReply(
            judge({
              agent,
              customer: { customerId: 'cus_p', version: 1, monthLimitMicros: climit },
              view,
              amount,
              runId: runId === '' ? null : runId,
              hold,
              periods: periodKeys(now),
              now,
            }),
          );
          const got = await lua({
            rule: 'judge',
            agent: luaAgent(agent),
            climit,
            view: luaView(view),
            amount,
            run_id: runId,
            hold,
            p: luaPeriods(now),
            now,
          });
          assert.deepEqual((got as unknown[]).map(String), expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('judgeAfterCommit: the same flip (or none) after a reservation commit', async () => {
    await fc.assert(
      fc.asyncProperty(
        agentArb,
        fc.boolean().chain((velocity) => viewArb({ velocity })),
        micros(500),
        nowArb,
        async (agent, rawView, actual, now) => {
          const view = { ...rawView, velocity: agent.state.limits.velocity ? (rawView.velocity ?? 0) : null };
          const expected = verdictReply(
            judgeAfterCommit({ agent, view, actual, periods: periodKeys(now), now }),
          );
          const got = await lua({
            rule: 'after_commit',
            agent: luaAgent(agent),
            view: luaView(view),
            actual,
            p: luaPeriods(now),
            now,
          });
          assert.deepEqual((got as unknown[]).map(String), expected);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the velocity window: the same bucket width, current and first bucket', async () => {
    await fc.assert(
      fc.asyncProperty(nowArb, fc.integer({ min: 1, max: 3600 }), async (now, window) => {
        const w = velocityWindow(now, window);
        const got = (await lua({ rule: 'vwindow', now, window })) as number[];
        assert.deepEqual(got, [w.bucketSeconds, w.currentBucket, w.firstBucket]);
      }),
      { numRuns: RUNS },
    );
  });

  it('the velocity rebuild (a changed window, or no buckets at all): the same bucket set', async () => {
    const buckets = fc.array(fc.tuple(fc.integer({ min: -5, max: 70 }), micros(100)), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        nowArb,
        fc.integer({ min: 1, max: 600 }),
        fc.option(fc.record({ window: fc.integer({ min: 1, max: 600 }), offsets: buckets }), { nil: null }),
        buckets,
        fc.array(fc.tuple(micros(100), fc.integer({ min: -600_000, max: 0 })), { maxLength: 6 }),
        async (now, window, old, dbOffsets, entryOffsets) => {
          const w = velocityWindow(now, window);
          // Buckets around the window, as offsets from its first bucket.
          const db = dbOffsets.map(([offset, m]) => ({ bucket: w.firstBucket + offset, micros: m }));
          const oldWindow = old ? velocityWindow(now, old.window) : null;
          const oldBuckets = old
            ? new Map(
                old.offsets.map(([offset, m]) => [oldWindow!.firstBucket + offset, m] as [number, number]),
              )
            : undefined;
          const entries = entryOffsets.map(([amount, offset]) => ({ amount, at: now + offset }));
          const expected = [
            ...rebuiltVelocity(
              window,
              now,
              db,
              old ? { windowSeconds: old.window, buckets: oldBuckets! } : undefined,
              entries,
            ),
          ].sort((a, b) => a[0] - b[0]);
          const got = await lua({
            rule: 'rebuild',
            now,
            window,
            db: db.map((b) => [b.bucket, b.micros]),
            old: old ? { window: old.window, buckets: [...oldBuckets!] } : null,
            entries: entries.map((e) => [e.amount, e.at]),
          });
          // cjson writes an empty list as {}.
          const parsed: unknown = JSON.parse(got as string);
          assert.deepEqual(Array.isArray(parsed) ? parsed : [], expected);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
