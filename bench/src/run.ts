// npm run bench — load and correctness benchmark of POST /v1/events against real PostgreSQL + Redis.
//   A) open loop: 400 req/s for 30 s, latency from each request's scheduled send time
//   B) max throughput: 50 connections for 20 s (autocannon, closed loop)
//   then: spend reported by the API and rows in PostgreSQL must equal what was acknowledged (201), exactly.
//   G) the LLM gateway (gateway-phase.ts): the same chat completion sent directly to a provider simulator and through
//      the gateway at 150 req/s — added p50/p99 and added time to first byte of a stream — then 200 streams held open
//      at once; every call's commit checked against PostgreSQL and the API.
//   C) A and B again against a bare Fastify handler that only parses the JSON (the ceiling of this machine)
// The servers use a Redis of the run's own (stack.ts startRedis), stopped at the end. In A and B the Redis commands
// per accepted event (redis-commands.ts) are counted twice: sent, from every server's spendguard_redis_commands_total
// (judged), and executed, from that Redis's INFO commandstats (script-internal calls included; reported), the
// scripts on both sides cross-checked; every phase also counts the context switches of the server, PostgreSQL and
// Redis per event (wakeups.ts).
// Options: --quick (5 s phases), --instances N (N servers behind the same stores, requests alternated),
//          --ceiling-only (skip Spendguard; for developing the harness), --gateway-only (only phase G),
//          --log-level <pino level> (default info),
//          --profile (V8 CPU profile of the server into a temp dir, printed at the end; see profile-summary.ts),
//          --source (run the server from source under tsx instead of the compiled build).
// Exits non-zero unless every target in TARGETS holds. Writes bench/results/latest.{md,json}.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuPerRequest, sampleCpu } from './cpu-usage.js';
import { runGatewayPhase } from './gateway-phase.js';
import { Ledger } from './ledger.js';
import { runMaxThroughput, type ThroughputResult } from './max-throughput.js';
import { runOpenLoop } from './open-loop.js';
import {
  formatBreakdown,
  type RedisCommandsWindow,
  readSentCommands,
  redisCommandsWindow,
  SCRIPTS_TOLERANCE,
  type SentReading,
} from './redis-commands.js';
import { type BenchReport, type Check, TARGETS, writeReport } from './report.js';
import { readServerMetrics } from './server-metrics.js';
import {
  buildServer,
  type Child,
  createStores,
  type PrivateRedis,
  type Simulator,
  startCeiling,
  startLLMSimulator,
  startRedis,
  startSpendguard,
} from './stack.js';
import { round, summarize } from './stats.js';
import { call, createTenant } from './tenant.js';
import { sampleWakeups, type WakeupSample, type WakeupsPerEvent, wakeupsPerEvent } from './wakeups.js';
import { type EventRequest, eventHeaders, Workload } from './workload.js';

interface Options {
  quick: boolean;
  instances: number;
  ceilingOnly: boolean;
  gatewayOnly: boolean;
  logLevel: string;
  profile: boolean;
  fromSource: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const instances = Number(value('--instances') ?? 1);
  if (!Number.isInteger(instances) || instances < 1 || instances > 8)
    throw new Error('--instances must be 1-8');
  return {
    quick: argv.includes('--quick'),
    instances,
    ceilingOnly: argv.includes('--ceiling-only'),
    gatewayOnly: argv.includes('--gateway-only'),
    logLevel: value('--log-level') ?? 'info',
    profile: argv.includes('--profile'),
    fromSource: argv.includes('--source'),
  };
}

const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const mb = (bytes: number) => round(bytes / (1024 * 1024), 1);

/**
 * Where a phase sends its load: the server URLs, the key, the server pids (for CPU and wake-ups per request), and the
 * Redis the servers use — its pids ([] for none) and, for the run's own, the handle its commandstats are read from
 * (with it, the servers' /metrics are read for the commands they sent).
 */
interface PhaseTarget {
  urls: string[];
  apiKey: string;
  pids: number[];
  redisPids: number[];
  redis?: PrivateRedis;
}

/** Redis commands at one edge of a window: what the servers sent so far, what Redis executed so far. */
interface RedisReading {
  sent: SentReading;
  executed: Map<string, number>;
}

/**
 * Both counters, the servers' first, then Redis's: a command is counted as sent before Redis runs it, so reading in the
 * same order at both edges leaves the two windows shifted alike.
 */
async function readRedisCommands(target: PhaseTarget): Promise<RedisReading | null> {
  if (!target.redis) return null;
  const sent = await readSentCommands(target.urls);
  return { sent, executed: await target.redis.commandStats() };
}

/** What a measurement window starts from: wake-ups, Redis commands (sent and executed), 201s so far. */
interface PhaseWindow {
  wakeups: WakeupSample | null;
  commands: RedisReading | null;
  acknowledged: number;
}

async function openWindow(target: PhaseTarget, ledger?: Ledger): Promise<PhaseWindow> {
  return {
    commands: await readRedisCommands(target),
    wakeups: sampleWakeups(target.pids, target.redisPids),
    acknowledged: ledger?.acknowledged ?? 0,
  };
}

/** Per 201 of the window where a ledger counts them (Spendguard), else per request (the bare handler). */
async function closeWindow(
  window: PhaseWindow,
  target: PhaseTarget,
  requests: number,
  ledger?: Ledger,
): Promise<{ wakeupsPerEvent: WakeupsPerEvent | null; redisCommands: RedisCommandsWindow | null }> {
  const wakeups = sampleWakeups(target.pids, target.redisPids);
  const commands = await readRedisCommands(target);
  const events = ledger ? ledger.acknowledged - window.acknowledged : requests;
  return {
    wakeupsPerEvent: wakeupsPerEvent(window.wakeups, wakeups, events),
    redisCommands:
      window.commands && commands
        ? redisCommandsWindow({
            events,
            sentBefore: window.commands.sent,
            sentAfter: commands.sent,
            executedBefore: window.commands.executed,
            executedAfter: commands.executed,
          })
        : null,
  };
}

function sayWindow(
  label: string,
  w: { wakeupsPerEvent: WakeupsPerEvent | null; redisCommands: RedisCommandsWindow | null },
): void {
  const r = w.redisCommands;
  if (r) {
    const s = r.sent;
    say(
      s
        ? `${label}: Redis commands sent by the server ${s.perEvent} per 201 (${s.commands} / ${s.events}): ${formatBreakdown(s, 8)}`
        : `${label}: Redis commands sent by the server not measured: ${r.sentNotMeasured}`,
    );
    const e = r.executed;
    if (e)
      say(
        `${label}: Redis commands executed in Redis (script-internal calls included) ${e.perEvent} per 201 (${e.commands} / ${e.events}): ${formatBreakdown(e, 8)}`,
      );
    if (r.scripts)
      say(
        `${label}: Redis scripts executed ${r.scripts.executed}, sent by the server ${r.scripts.sent} (difference ${r.scripts.differencePercent ?? '∞'} %)`,
      );
  }
  const k = w.wakeupsPerEvent;
  if (k)
    say(
      `${label}: context switches per event: server ${k.server}, PostgreSQL ${k.postgres}, Redis ${k.redis}, total ${k.total} (involuntary ${k.involuntary})`,
    );
}

async function openLoopPhase(
  label: string,
  target: PhaseTarget,
  workload: Workload,
  rate: number,
  seconds: number,
  ledger?: Ledger,
) {
  const { urls: targets, apiKey, pids } = target;
  const urls = targets.map((t) => new URL('/v1/events', t));
  const ambiguous: EventRequest[] = [];
  const window = await openWindow(target, ledger);
  const cpuBefore = sampleCpu(pids, target.redisPids);
  const result = await runOpenLoop({
    rate,
    durationMs: seconds * 1000,
    next: (i) => {
      const event = workload.make();
      return {
        url: urls[i % urls.length] as URL,
        headers: eventHeaders(apiKey, event),
        body: event.body,
        done: (status) => {
          if (status === 0) ambiguous.push(event);
          else ledger?.record(status, event.agent, event.costMicros);
        },
      };
    },
  });
  const cpu = cpuPerRequest(cpuBefore, sampleCpu(pids, target.redisPids), result.scheduled);
  // A transport error leaves the outcome unknown; resending with the same idempotency key settles it exactly.
  for (const event of ambiguous) {
    const res = await fetch(urls[0] as URL, {
      method: 'POST',
      headers: eventHeaders(apiKey, event),
      body: event.body,
    });
    await res.arrayBuffer();
    ledger?.record(res.status, event.agent, event.costMicros);
  }
  const measured = await closeWindow(window, target, result.scheduled, ledger);
  const latency = summarize(result.latenciesMs);
  const lag = summarize(result.sendLagMs);
  const phase = {
    kind: 'open-loop' as const,
    rate,
    seconds,
    sent: result.scheduled,
    achievedRate: round(result.scheduled / (result.elapsedMs / 1000), 1),
    p50: round(latency.p50),
    p90: round(latency.p90),
    p99: round(latency.p99),
    max: round(latency.max),
    errors: result.errors,
    non201: result.non201,
    clientSendLagP50: round(lag.p50),
    clientSendLagP99: round(lag.p99),
    cpuPerRequest: cpu,
    ...measured,
  };
  say(
    `${label}: ${phase.sent} sent at ${rate} req/s, p50 ${phase.p50} ms, p90 ${phase.p90} ms, p99 ${phase.p99} ms, max ${phase.max} ms, transport errors ${phase.errors}, non-201 ${phase.non201} (client send lag p50 ${phase.clientSendLagP50} ms)`,
  );
  sayWindow(label, measured);
  return phase;
}

async function maxPhase(
  label: string,
  target: PhaseTarget,
  workload: Workload,
  connections: number,
  seconds: number,
  ledger?: Ledger,
) {
  // Connections split over the instances; each autocannon instance drives one server.
  const { urls: targets, apiKey, pids } = target;
  const per = Math.max(1, Math.floor(connections / targets.length));
  const window = await openWindow(target, ledger);
  const cpuBefore = sampleCpu(pids, target.redisPids);
  const parts: ThroughputResult[] = await Promise.all(
    targets.map((url) =>
      runMaxThroughput({
        url,
        connections: per,
        durationSeconds: seconds,
        workload,
        apiKey,
        ...(ledger ? { ledger } : {}),
      }),
    ),
  );
  const cpuAfter = sampleCpu(pids, target.redisPids);
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  // After runMaxThroughput settled the requests in flight at the deadline: their 201s and commands count.
  const measured = await closeWindow(window, target, requests, ledger);
  const phase = {
    kind: 'max-throughput' as const,
    connections: per * targets.length,
    seconds,
    requests,
    requestsPerSecond: round(
      parts.reduce((n, p) => n + p.requestsPerSecond, 0),
      0,
    ),
    // Per-part percentiles cannot be merged exactly; the worst part is reported (conservative).
    p50: Math.max(...parts.map((p) => p.p50)),
    p90: Math.max(...parts.map((p) => p.p90)),
    p99: Math.max(...parts.map((p) => p.p99)),
    max: Math.max(...parts.map((p) => p.max)),
    errors: parts.reduce((n, p) => n + p.errors + p.timeouts, 0),
    non201: parts.reduce((n, p) => n + p.non201, 0),
    cpuPerRequest: cpuPerRequest(cpuBefore, cpuAfter, requests),
    ...measured,
  };
  say(
    `${label}: ${phase.requestsPerSecond} req/s over ${phase.connections} connections, p50 ${phase.p50} ms, p99 ${phase.p99} ms, errors ${phase.errors}, non-201 ${phase.non201}`,
  );
  sayWindow(label, measured);
  return phase;
}

const SENT_SOURCE = 'sent by the server (spendguard_redis_commands_total)';

/**
 * Redis commands per accepted event in one events phase: the commands the server(s) sent, against
 * TARGETS.redisCommandsPerEvent. What Redis executed (script-internal calls included) is in the detail, not judged.
 */
function redisCheck(phase: string, w: RedisCommandsWindow | null): Check {
  const bound = TARGETS.redisCommandsPerEvent;
  const name = `Redis commands per accepted event ${phase} <= ${bound}`;
  const s = w?.sent;
  if (!s)
    return {
      name,
      ok: false,
      detail: `not measured: commands ${SENT_SOURCE}: ${w?.sentNotMeasured ?? 'no Redis readings in the phase'}`,
    };
  const e = w.executed;
  return {
    name,
    // Exact, not the rounded figure: commands / events <= bound.
    ok: s.commands <= bound * s.events,
    detail:
      `${s.perEvent} per event ${SENT_SOURCE} (${s.commands} commands / ${s.events} 201s; bound ${bound}): ${formatBreakdown(s, 6)}` +
      (e
        ? `; executed in Redis, script-internal calls included (INFO commandstats, not judged): ${e.perEvent} per event`
        : ''),
  };
}

/** The scripts Redis ran in one phase = the scripts the server(s) sent, within SCRIPTS_TOLERANCE. */
function scriptsCheck(phase: string, w: RedisCommandsWindow | null): Check {
  const name = `Redis scripts executed = scripts the server sent (phase ${phase})`;
  const c = w?.scripts;
  if (!c)
    return {
      name,
      ok: false,
      detail: `not measured: ${w?.sentNotMeasured ?? 'no Redis readings in the phase'}`,
    };
  return {
    name,
    ok: c.ok,
    detail: `executed ${c.executed} (INFO commandstats, evalsha + eval calls) vs sent ${c.sent} (spendguard_redis_commands_total, evalsha + eval), difference ${Math.abs(c.executed - c.sent)} = ${c.differencePercent ?? '∞'} % (bound ${SCRIPTS_TOLERANCE * 100} %)`,
  };
}

async function checkCorrectness(
  baseUrl: string,
  apiKey: string,
  agents: string[],
  ledger: Ledger,
  query: <T extends Record<string, unknown>>(sql: string) => Promise<T[]>,
): Promise<Check[]> {
  const checks: Check[] = [];
  const auth = { authorization: `Bearer ${apiKey}` };
  let apiAgentSum = 0;
  const mismatches: string[] = [];
  for (const name of agents) {
    const res = await call(baseUrl, `/v1/agents/${name}`, { headers: auth });
    const agent = res.body?.agent ?? res.body;
    const spent = Number(agent?.spend?.month_micros);
    apiAgentSum += spent;
    const expected = ledger.perAgentMicros.get(name) ?? 0;
    if (res.status !== 200 || spent !== expected)
      mismatches.push(`${name}: API ${spent} vs acknowledged ${expected}`);
  }
  checks.push({
    name: 'per-agent spend (GET /v1/agents/{name} spend.month_micros) = acknowledged',
    ok: mismatches.length === 0,
    detail:
      mismatches.length === 0
        ? `${agents.length} agents, total ${apiAgentSum} micros`
        : mismatches.join('; '),
  });
  const customer = await call(baseUrl, '/v1/customer', { headers: auth });
  const c = customer.body?.customer ?? customer.body;
  const customerSpend = Number(c?.spend?.month_micros);
  checks.push({
    name: 'customer spend (GET /v1/customer spend.month_micros) = acknowledged',
    ok: customer.status === 200 && customerSpend === ledger.acknowledgedMicros,
    detail: `API ${customerSpend} vs acknowledged ${ledger.acknowledgedMicros}`,
  });
  const [row] = await query<{ n: number; accepted: number; micros: string }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'accepted')::int AS accepted,
            coalesce(sum(cost_micros) FILTER (WHERE status = 'accepted'), 0)::text AS micros FROM events`,
  );
  checks.push({
    name: 'SELECT count(*) FROM events = number of 201s',
    ok: row?.n === ledger.acknowledged,
    detail: `${row?.n} rows (${row?.accepted} accepted) vs ${ledger.acknowledged} acknowledged`,
  });
  checks.push({
    name: 'sum(cost_micros) of accepted rows = acknowledged spend',
    ok: row?.micros === String(ledger.acknowledgedMicros),
    detail: `${row?.micros} vs ${ledger.acknowledgedMicros}`,
  });
  return checks;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const openSeconds = options.quick ? 5 : 30;
  const maxSeconds = options.quick ? 5 : 20;
  const rate = 400;
  const connections = 50;
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  say(
    `mode ${options.quick ? 'quick' : 'full'}, ${options.instances} instance(s), log level ${options.logLevel}, run ${runId}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const report: BenchReport = {
    startedAt,
    mode: options.quick ? 'quick' : 'full',
    instances: options.instances,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 1024 ** 3, 1),
      node: process.version,
      postgres: 'n/a',
      redis: 'n/a',
      // Other work on the machine skews every number; recorded so a reader can tell a quiet run from a busy one.
      loadAverageAtStart: loadavg().map((l) => round(l, 2)),
      loadAverageAtEnd: [],
    },
    spendguard: null,
    ceiling: null,
    gateway: null,
    checks: [],
  };

  if (!options.ceilingOnly) {
    if (!options.fromSource) {
      say(
        'building the server (npm run build:server) — the bench runs the compiled build, as production does',
      );
      buildServer();
    }
    // The run's own Redis: stopped in the finally below; if the database cannot be created, right here.
    const redis = await startRedis();
    say(`private Redis up: ${redis.url} (pid ${redis.pid})`);
    const stores = await createStores(redis.url).catch(async (error: unknown) => {
      await redis.stop();
      throw error;
    });
    const servers: Child[] = [];
    let simulator: Simulator | undefined;
    const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'sg-bench-profile-')) : undefined;
    try {
      Object.assign(report.machine, await stores.versions());
      for (let i = 0; i < options.instances; i++)
        servers.push(
          await startSpendguard(stores, {
            logLevel: options.logLevel,
            fromSource: options.fromSource,
            profileDir,
          }),
        );
      const urls = servers.map((s) => s.url);
      const target: PhaseTarget = {
        urls,
        apiKey: '',
        pids: servers.map((s) => s.pid),
        redisPids: [redis.pid],
        redis,
      };
      say(`spendguard up: ${urls.join(', ')} (pids ${servers.map((s) => s.pid).join(', ')})`);
      const eventsPhases = async (): Promise<void> => {
        const tenant = await createTenant(urls[0] as string, 10);
        target.apiKey = tenant.adminKey;
        const ledger = new Ledger();
        const workload = new Workload(runId, tenant.agents);
        // Warm-up (JIT, connection pools, counters): counted in the ledger like everything else, not in the stats.
        await openLoopPhase('warm-up', target, workload, 200, options.quick ? 2 : 5, ledger);
        for (const s of servers) s.resetPeakRss();
        const openLoop = await openLoopPhase(
          'A spendguard open loop',
          target,
          workload,
          rate,
          openSeconds,
          ledger,
        );
        const rssOpenLoop = Math.max(...servers.map((s) => s.peakRss()));
        const metricsAfterOpenLoop = await readServerMetrics(urls[0] as string);
        say(`server metrics after A (cumulative means): ${JSON.stringify(metricsAfterOpenLoop)}`);
        const max = await maxPhase(
          'B spendguard max throughput',
          target,
          workload,
          connections,
          maxSeconds,
          ledger,
        );
        const rssPeak = Math.max(...servers.map((s) => s.peakRss()));
        const metricsAfterMax = await readServerMetrics(urls[0] as string);
        say(`server metrics after B (cumulative means): ${JSON.stringify(metricsAfterMax)}`);
        say(`server RSS peak: ${mb(rssOpenLoop)} MB at 400 req/s, ${mb(rssPeak)} MB overall`);
        const correctness = await checkCorrectness(
          urls[0] as string,
          tenant.adminKey,
          tenant.agents,
          ledger,
          stores.query,
        );
        for (const c of correctness) say(`correctness: ${c.ok ? 'OK  ' : 'FAIL'} ${c.name} — ${c.detail}`);
        report.spendguard = {
          openLoop,
          max,
          rssPeakMB: mb(rssPeak),
          rssAt400MB: mb(rssOpenLoop),
          serverMetrics: { afterOpenLoop: metricsAfterOpenLoop, afterMax: metricsAfterMax },
          acknowledged: ledger.acknowledged,
          acknowledgedMicros: ledger.acknowledgedMicros,
          statuses: Object.fromEntries(ledger.statuses),
        };
        report.checks.push(...correctness);
      };
      if (!options.gatewayOnly) await eventsPhases();
      simulator = await startLLMSimulator();
      say(`LLM simulator up: ${simulator.url} (pid ${simulator.pid})`);
      const gateway = await runGatewayPhase({
        serverUrl: urls[0] as string,
        serverPid: target.pids[0] as number,
        redisPids: target.redisPids,
        simulator,
        quick: options.quick,
        query: stores.query,
        say,
      });
      report.gateway = gateway.report;
      report.checks.push(...gateway.checks);
      for (const c of gateway.checks) say(`gateway: ${c.ok ? 'OK  ' : 'FAIL'} ${c.name} — ${c.detail}`);
    } finally {
      await simulator?.stop();
      for (const s of servers) await s.stop();
      try {
        await stores.drop();
      } finally {
        await redis.stop();
      }
      if (profileDir) say(`CPU profiles in ${profileDir}: npx tsx bench/src/profile-summary.ts <file>`);
    }
  }

  const ceilingServer = options.gatewayOnly ? null : await startCeiling();
  if (ceilingServer)
    try {
      const workload = new Workload(`${runId}c`, ['bench-agent-0']);
      // The bare handler uses no Redis: none is counted.
      const target: PhaseTarget = {
        urls: [ceilingServer.url],
        apiKey: 'x',
        pids: [ceilingServer.pid],
        redisPids: [],
      };
      await openLoopPhase('ceiling warm-up', target, workload, 200, options.quick ? 2 : 5);
      const openLoop = await openLoopPhase('C ceiling open loop', target, workload, rate, openSeconds);
      const max = await maxPhase('C ceiling max throughput', target, workload, connections, maxSeconds);
      report.ceiling = { openLoop, max, rssPeakMB: mb(ceilingServer.peakRss()) };
    } finally {
      await ceilingServer.stop();
    }

  if (report.spendguard && report.ceiling) {
    const sg = report.spendguard;
    const bare = report.ceiling;
    const ratio = sg.max.requestsPerSecond / bare.max.requestsPerSecond;
    sg.ratioToCeiling = round(ratio, 3);
    const p99Bound = round(TARGETS.p99CeilingFactor * bare.openLoop.p99);
    const checks: Check[] = [
      {
        name: `p99 at 400 req/s <= ${TARGETS.p99Ms} ms`,
        ok: sg.openLoop.p99 <= TARGETS.p99Ms,
        detail: `${sg.openLoop.p99} ms (bound ${TARGETS.p99Ms} ms)`,
      },
      {
        name: `p99 at 400 req/s <= ${TARGETS.p99CeilingFactor} × the bare handler's p99 at 400 req/s`,
        ok: sg.openLoop.p99 <= TARGETS.p99CeilingFactor * bare.openLoop.p99,
        detail: `${sg.openLoop.p99} ms vs bare handler ${bare.openLoop.p99} ms = ${round(sg.openLoop.p99 / bare.openLoop.p99, 1)}× (bound ${TARGETS.p99CeilingFactor}× = ${p99Bound} ms)`,
      },
      {
        name: 'zero errors at 400 req/s',
        ok: sg.openLoop.errors === 0 && sg.openLoop.non201 === 0,
        detail: `${sg.openLoop.errors} transport errors, ${sg.openLoop.non201} non-201 (bound 0)`,
      },
      redisCheck('at 400 req/s', sg.openLoop.redisCommands),
      scriptsCheck('A', sg.openLoop.redisCommands),
    ];
    // With several instances on one small machine they share its cores: the ratio is reported, not judged.
    if (options.instances === 1)
      checks.push({
        name: `max throughput >= ${TARGETS.ceilingRatio * 100} % of the bare ceiling`,
        ok: ratio >= TARGETS.ceilingRatio,
        detail: `${sg.max.requestsPerSecond} / ${bare.max.requestsPerSecond} req/s = ${round(ratio * 100, 1)} % (bound ${TARGETS.ceilingRatio * 100} %)`,
      });
    checks.push(
      redisCheck('at max throughput', sg.max.redisCommands),
      scriptsCheck('B', sg.max.redisCommands),
    );
    const sgCpu = sg.max.cpuPerRequest;
    const bareCpu = bare.max.cpuPerRequest;
    const cpuCheck = `server CPU per event at max throughput <= ${TARGETS.serverCpuCeilingFactor} × the bare handler's CPU per request`;
    if (sgCpu && bareCpu && bareCpu.server > 0) {
      const cpuRatio = sgCpu.server / bareCpu.server;
      sg.serverCpuRatioToCeiling = round(cpuRatio, 2);
      checks.push({
        name: cpuCheck,
        ok: cpuRatio <= TARGETS.serverCpuCeilingFactor,
        detail: `server ${sgCpu.server} µs per event vs bare handler ${bareCpu.server} µs per request = ${round(cpuRatio, 2)}× (bound ${TARGETS.serverCpuCeilingFactor}× = ${round(TARGETS.serverCpuCeilingFactor * bareCpu.server, 1)} µs)`,
      });
    } else {
      checks.push({
        name: cpuCheck,
        ok: false,
        detail: 'not measured (no /proc, or no CPU counted for the bare handler)',
      });
    }
    checks.push({
      name: `server RSS <= ${TARGETS.rssMB} MB`,
      ok: sg.rssPeakMB <= TARGETS.rssMB,
      detail: `${sg.rssPeakMB} MB peak (per process; bound ${TARGETS.rssMB} MB)`,
    });
    report.checks.unshift(...checks);
  } else if (!options.ceilingOnly && !options.gatewayOnly) {
    report.checks.push({ name: 'benchmark completed', ok: false, detail: 'a phase did not run' });
  }

  report.durationSeconds = round((performance.now() - t0) / 1000, 1);
  report.machine.loadAverageAtEnd = loadavg().map((l) => round(l, 2));
  const paths = writeReport(report, options.gatewayOnly ? 'gateway-only' : undefined);
  const failed = report.checks.filter((c) => !c.ok);
  say(`wrote ${paths.join(', ')}`);
  for (const c of report.checks) say(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  say(failed.length === 0 ? 'all targets met' : `${failed.length} target(s) missed`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
