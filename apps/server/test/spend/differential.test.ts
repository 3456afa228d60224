// The Lua scripts mirror decide.ts/memory-store.ts by hand; this property test holds them to it: random
// sequences of operations run against both stores must give identical answers at every step.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createEpochHistory } from '../../src/spend/epochs.js';
import { MemorySpendStore } from '../../src/spend/memory-store.js';
import { RedisSpendStore } from '../../src/spend/redis-store.js';
import type { AgentLimits, Decision, SpendRequest, SpendStore } from '../../src/spend/store.js';
import { openTestDb, uniqueSuffix } from '../harness.js';
import { activeAgent, openTestRedis, type TestRedis } from './fixtures.js';

const START = Date.parse('2026-11-30T23:40:00.000Z'); // crosses a day and a month boundary within the runs
const AGENTS = ['agt_a', 'agt_b'];
const RUNS = [null, 'r1', 'r2'];

// Amounts and limits are multiples of 10 so that landing exactly on a limit happens often.
const tens = (max: number) => fc.integer({ min: 0, max: max / 10 }).map((n) => n * 10);
const windowArb = fc.oneof(fc.constantFrom(1, 5, 60, 61, 119, 120, 3600), fc.integer({ min: 1, max: 600 }));
const limitsArb: fc.Arbitrary<AgentLimits> = fc.record({
  monthMicros: fc.option(tens(400), { nil: null }),
  dayMicros: fc.option(tens(300), { nil: null }),
  runMicros: fc.option(tens(200), { nil: null }),
  velocity: fc.option(fc.record({ windowSeconds: windowArb, maxMicros: tens(150) }), { nil: null }),
  repeats: fc.option(fc.record({ max: fc.integer({ min: 1, max: 4 }), windowSeconds: windowArb }), {
    nil: null,
  }),
});

type Op =
  | {
      op: 'decide';
      agent: number;
      run: number;
      amount: number;
      hold: boolean;
      ttl: number;
      reuseKey: boolean;
      badHash: boolean;
      fingerprint: string | null;
    }
  | { op: 'commit'; pick: number; actual: number; again: boolean }
  | { op: 'release'; pick: number }
  | { op: 'undo'; pick: number }
  | { op: 'complete'; pick: number }
  | { op: 'rerun'; pick: number }
  | { op: 'resume'; agent: number; limits: AgentLimits; suspend: boolean }
  | { op: 'provisional'; agent: number; clear: boolean }
  | { op: 'read' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('decide' as const),
      agent: fc.integer({ min: 0, max: 1 }),
      run: fc.integer({ min: 0, max: 2 }),
      amount: tens(80),
      hold: fc.boolean(),
      ttl: fc.integer({ min: 1, max: 120 }),
      reuseKey: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))), // 1 in 4
      badHash: fc.boolean(),
      fingerprint: fc.option(fc.constantFrom('fp-a', 'fp-b'), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      pick: fc.nat(),
      actual: tens(150),
      again: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rerun' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('provisional' as const),
      agent: fc.integer({ min: 0, max: 1 }),
      clear: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('undo' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('complete' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('resume' as const),
      agent: fc.integer({ min: 0, max: 1 }),
      limits: limitsArb,
      suspend: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('read' as const) }) },
);

// Steps between operations: mostly seconds, sometimes minutes (velocity windows pass, days roll over).
const stepArb = fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 900_000 }));

describe('memory and Redis stores answer identically (random operation sequences)', () => {
  let testRedis: TestRedis | undefined;
  let db: Awaited<ReturnType<typeof openTestDb>> | undefined;
  before(async () => {
    testRedis = await openTestRedis();
    db = await openTestDb('postgres');
  });
  after(async () => {
    await testRedis?.close();
    await db?.close();
  });

  it('every decision, commit, release, undo, re-run, state write and read matches', async () => {
    let runNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(limitsArb, limitsArb),
        fc.option(tens(600), { nil: null }),
        fc.array(fc.tuple(opArb, stepArb), { minLength: 10, maxLength: 40 }),
        async (limits, customerLimit, ops) => {
          const customerId = `cus_${++runNo}_${uniqueSuffix()}`;
          const memory = new MemorySpendStore();
          const { redis, prefix } = testRedis!;
          const stores: SpendStore[] = [
            memory,
            new RedisSpendStore(redis, prefix, createEpochHistory(db!.db)),
          ];
          const both = async <T>(f: (s: SpendStore) => Promise<T>, label: string): Promise<T> => {
            const [m, r] = [await f(stores[0]!), await f(stores[1]!)];
            assert.deepEqual(r, m, `${label}: redis differs from memory`);
            return m;
          };
          const decided: Array<{ request: SpendRequest; decision: Decision }> = [];
          let now = START;
          let keyNo = 0;
          let version = 1;
          const ref = (request: SpendRequest) => ({
            customerId,
            agentId: request.agentId,
            runId: request.runId,
            token: request.token,
            claim: { idempotencyKey: request.idempotencyKey, requestHash: request.requestHash },
          });
          // Load whatever is missing with zeros (the same load for both), as a rebuild would.
          const load = async (agentIdx: number, runId: string | null) => {
            const agentId = AGENTS[agentIdx]!;
            await both(
              (s) =>
                s.loadCounters({
                  customerId,
                  agentId,
                  now,
                  customer: { customerId, version: 1, monthLimitMicros: customerLimit },
                  agent: activeAgent(customerId, agentId, limits[agentIdx]!),
                  customerMonthMicros: 0,
                  agentMonthMicros: 0,
                  agentDayMicros: 0,
                  velocityBuckets: [],
                  run: runId === null ? null : { runId, micros: 0 },
                  holds: [],
                  repeats: [],
                  revokedKeyIds: [],
                }),
              'load',
            );
          };
          try {
            for (const [op, step] of ops) {
              now += step;
              if (op.op === 'decide') {
                const reuse =
                  op.reuseKey && decided.length > 0 ? decided[decided.length - 1]!.request : undefined;
                const key = reuse?.idempotencyKey ?? `k${++keyNo}`;
                const request: SpendRequest = {
                  customerId,
                  agentId: AGENTS[op.agent]!,
                  runId: RUNS[op.run]!,
                  amountMicros: op.amount,
                  token: `${op.hold ? 'rsv' : 'evt'}_${keyNo}_${step}`,
                  idempotencyKey: key,
                  requestHash: op.badHash ? `other-${key}` : `hash-${key}`,
                  now,
                  ...(op.hold ? { hold: { expiresAt: now + op.ttl * 1000 } } : {}),
                  fingerprint: op.fingerprint,
                };
                let decision = await both((s) => s.decide(request), 'decide');
                if (decision.outcome === 'missing') {
                  await load(op.agent, request.runId);
                  decision = await both((s) => s.decide(request), 'decide after load');
                }
                decided.push({ request, decision });
              } else if (
                op.op === 'commit' ||
                op.op === 'release' ||
                op.op === 'undo' ||
                op.op === 'complete' ||
                op.op === 'rerun'
              ) {
                const target = decided[op.pick % Math.max(1, decided.length)];
                if (!target) continue;
                const { request } = target;
                // Every one of these is safe to run twice: the sequences repeat them freely.
                if (op.op === 'undo') {
                  await both((s) => s.undo(ref(request)), 'undo');
                } else if (op.op === 'complete') {
                  await both((s) => s.complete({ ...ref(request), agentState: null }), 'complete');
                } else if (op.op === 'rerun') {
                  await both((s) => s.decide(request), 'decide again (same token)');
                } else if (request.hold) {
                  const holdId = request.token;
                  if (op.op === 'release') {
                    await both((s) => s.releaseHold(customerId, holdId, now), 'release');
                  } else {
                    const input = {
                      customerId,
                      agentId: request.agentId,
                      runId: request.runId,
                      holdId,
                      token: `evt_commit_${holdId}${op.again ? '' : `_${step}`}`,
                      actualMicros: op.actual,
                      now,
                    };
                    const result = await both((s) => s.commitHold(input), 'commitHold');
                    if (result.outcome !== 'counted') {
                      await load(AGENTS.indexOf(request.agentId), request.runId);
                      await both((s) => s.commitHold(input), 'commitHold after load');
                    }
                  }
                }
              } else if (op.op === 'resume') {
                version += 1;
                const state = {
                  ...activeAgent(customerId, AGENTS[op.agent]!, op.limits),
                  limitsVersion: version,
                  statusVersion: version,
                  ...(op.suspend
                    ? { status: 'suspended' as const, suspendedReason: 'manual' as const, suspendedAt: now }
                    : {}),
                };
                await both((s) => s.putAgentState(state), 'put state');
              } else if (op.op === 'provisional') {
                const agentId = AGENTS[op.agent]!;
                await both(
                  (s) =>
                    op.clear
                      ? s.clearProvisional(customerId, agentId, 'sus_diff')
                      : s.provisionalSuspend(customerId, agentId, 'sus_diff', now),
                  'provisional',
                );
              } else {
                await both((s) => s.readSpend(customerId, AGENTS, now), 'readSpend');
                for (const agentId of AGENTS)
                  await both((s) => s.readAgent(customerId, agentId), 'readAgent');
              }
            }
          } finally {
            await Promise.all(stores.map((store) => store.close()));
          }
        },
      ),
      { numRuns: Number(process.env.SPEND_DIFF_RUNS ?? 300) },
    );
  });
});
