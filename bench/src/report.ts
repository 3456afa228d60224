// bench/results/latest.json (everything measured) and latest.md (the same, for people).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuPerRequest } from './cpu-usage.js';
import { formatBreakdown, type RedisCommandsWindow, SCRIPTS_TOLERANCE } from './redis-commands.js';
import type { ServerMetrics } from './server-metrics.js';
import { ROOT } from './stack.js';
import type { WakeupsPerEvent } from './wakeups.js';

export const TARGETS = {
  /** POST /v1/events (issue 16), open loop at 400 req/s: p99 at most this, in ms… */
  p99Ms: 15,
  /** …and at most this multiple of the bare handler's p99 at the same rate, in the same run. */
  p99CeilingFactor: 5,
  /** Max throughput at least this share of the bare handler's max throughput (with one instance). */
  ceilingRatio: 0.25,
  /**
   * Redis commands the server(s) sent (spendguard_redis_commands_total; a script is one EVALSHA) per 201, in phase A
   * and in phase B. Not what Redis executed: INFO commandstats counts every command a script calls inside too.
   */
  redisCommandsPerEvent: 1.2,
  /** Server CPU per event at max throughput at most this multiple of the bare handler's CPU per request there. */
  serverCpuCeilingFactor: 5.3,
  rssMB: 256,
  /** The LLM gateway (issue 15): latency added to the same call sent directly to the provider, in ms. */
  gatewayAddedP50Ms: 2,
  gatewayAddedP99Ms: 10,
  gatewayAddedTtfbMs: 2,
  /** Streams held open at once through the gateway, every one received whole and committed. */
  gatewayStreams: 200,
} as const;

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface OpenLoopPhase {
  kind: 'open-loop';
  rate: number;
  seconds: number;
  sent: number;
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non201: number;
  clientSendLagP50: number;
  clientSendLagP99: number;
  /** µs of CPU per request by process; null where /proc is not readable. */
  cpuPerRequest: CpuPerRequest | null;
  /** Context switches per 201 (per request for the bare handler) by process; null where /proc is not readable. */
  wakeupsPerEvent: WakeupsPerEvent | null;
  /** Redis commands per 201 in the phase, sent by the server(s) and executed in Redis; null for the bare handler. */
  redisCommands: RedisCommandsWindow | null;
}

export interface MaxPhase {
  kind: 'max-throughput';
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non201: number;
  cpuPerRequest: CpuPerRequest | null;
  wakeupsPerEvent: WakeupsPerEvent | null;
  redisCommands: RedisCommandsWindow | null;
}

/** CPU per call of a gateway-phase loop, µs: the simulator (the provider) counted too. */
export type GatewayCpu = CpuPerRequest & { simulator: number };

/** One open loop of chat completions, sent directly to the simulator or through the gateway. */
export interface GatewayLoop {
  rate: number;
  seconds: number;
  sent: number;
  achievedRate: number;
  /** Whole response, from the scheduled send time. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** To the first body byte (for a stream: its first SSE frame), from the scheduled send time. */
  ttfbP50: number;
  ttfbP90: number;
  ttfbP99: number;
  errors: number;
  non200: number;
  /** Streams that answered 200 but did not arrive whole (no [DONE], an error frame, other text). */
  streamsNotWhole: number;
  clientSendLagP50: number;
  clientSendLagP99: number;
  cpuPerCall: GatewayCpu | null;
}

interface ServerAdded {
  count: number;
  meanMs: number | null;
  percentAtOrBelow: Record<string, number>;
}

/** The direct-vs-gateway comparison at one rate. */
export interface GatewayRate {
  rate: number;
  seconds: number;
  nonStreamed: {
    direct: GatewayLoop;
    gateway: GatewayLoop;
    added: { p50: number; p90: number; p99: number };
    /** The server's own spendguard_gateway_added_latency_seconds{phase="response"} over the measured loop. */
    serverAdded: ServerAdded;
  };
  streamed: {
    direct: GatewayLoop;
    gateway: GatewayLoop;
    addedTtfb: { p50: number; p90: number; p99: number };
    serverAdded: ServerAdded;
  };
}

/** The targets are judged at `rate`; `low` is the same comparison at a rate where nothing queues. */
export interface GatewayReport extends GatewayRate {
  low: GatewayRate;
  concurrentStreams: {
    streams: number;
    chunks: number;
    chunkDelayMs: number;
    peakOpen: number;
    fullyReceived: number;
    errors: number;
    statuses: Record<string, number>;
    ttfbP50: number;
    ttfbP99: number;
    durationP50: number;
    durationMax: number;
    wallMs: number;
  };
  costMicros: { defaultCall: number; burstStream: number };
  committed: Record<string, { calls: number; micros: number }>;
  /** Usage-only chunks a gateway stream passed on although the client had not asked for them (should be 0). */
  usageChunksLeaked: number;
}

export interface BenchReport {
  startedAt: string;
  mode: 'quick' | 'full';
  instances: number;
  durationSeconds?: number;
  machine: {
    cores: number;
    cpu: string;
    memoryGiB: number;
    node: string;
    postgres: string;
    redis: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  spendguard: {
    openLoop: OpenLoopPhase;
    max: MaxPhase;
    rssPeakMB: number;
    rssAt400MB: number;
    serverMetrics?: { afterOpenLoop: ServerMetrics | null; afterMax: ServerMetrics | null };
    ratioToCeiling?: number;
    /** Server CPU per event at max throughput / the bare handler's CPU per request there. */
    serverCpuRatioToCeiling?: number;
    acknowledged: number;
    acknowledgedMicros: number;
    statuses: Record<string, number>;
  } | null;
  ceiling: { openLoop: OpenLoopPhase; max: MaxPhase; rssPeakMB: number } | null;
  gateway?: GatewayReport | null;
  checks: Check[];
}

function row(name: string, p: OpenLoopPhase | MaxPhase): string {
  const rate = p.kind === 'open-loop' ? `${p.achievedRate} (offered ${p.rate})` : `${p.requestsPerSecond}`;
  const setup =
    p.kind === 'open-loop' ? `open loop, ${p.seconds} s` : `${p.connections} connections, ${p.seconds} s`;
  return `| ${name} | ${setup} | ${rate} | ${p.p50} | ${p.p90} | ${p.p99} | ${p.max} | ${p.errors} | ${p.non201} |`;
}

export function renderMarkdown(r: BenchReport): string {
  const lines = [
    '# Spendguard benchmark — latest run',
    '',
    `Run ${r.startedAt}, mode **${r.mode}**, ${r.instances} server instance(s), ${r.durationSeconds ?? '?'} s. Produced by \`npm run bench\`${r.mode === 'quick' ? ' -- --quick' : ''}${r.instances > 1 ? ` -- --instances ${r.instances}` : ''}.`,
    '',
    `Machine: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres}, Redis ${r.machine.redis}. Load generator, server(s), PostgreSQL and Redis all share these cores. Load average (1/5/15 min) at start ${r.machine.loadAverageAtStart.join(' / ')}, at end ${r.machine.loadAverageAtEnd.join(' / ')} — anything well above the load this run adds itself (about 2) means other work was competing for the CPU.`,
    '',
  ];
  if (r.spendguard || r.ceiling)
    lines.push(
      '## POST /v1/events',
      '',
      '| target | phase | req/s | p50 ms | p90 ms | p99 ms | max ms | transport errors | non-201 |',
      '|---|---|---|---|---|---|---|---|---|',
    );
  if (r.spendguard) {
    lines.push(row('Spendguard', r.spendguard.openLoop), row('Spendguard', r.spendguard.max));
  }
  if (r.ceiling) {
    lines.push(
      row('bare Fastify (ceiling)', r.ceiling.openLoop),
      row('bare Fastify (ceiling)', r.ceiling.max),
    );
  }
  if (r.spendguard || r.ceiling) lines.push('');
  if (r.spendguard) {
    lines.push(
      `Open-loop latency is measured from each request's scheduled send time (no coordinated omission); the client's own send lag was p50 ${r.spendguard.openLoop.clientSendLagP50} ms / p99 ${r.spendguard.openLoop.clientSendLagP99} ms and is included.`,
      '',
      `Server RSS (VmRSS of the server process): ${r.spendguard.rssAt400MB} MB peak during the 400 req/s phase, ${r.spendguard.rssPeakMB} MB peak overall.` +
        (r.spendguard.ratioToCeiling !== undefined
          ? ` Max throughput is ${Math.round(r.spendguard.ratioToCeiling * 1000) / 10} % of the bare-handler ceiling.`
          : ''),
      '',
      `Server-side means from its own /metrics (cumulative, warm-up included) — after the 400 req/s phase: ${JSON.stringify(r.spendguard.serverMetrics?.afterOpenLoop ?? null)}; after the max-throughput phase: ${JSON.stringify(r.spendguard.serverMetrics?.afterMax ?? null)}.`,
      '',
      `Acknowledged (201): ${r.spendguard.acknowledged} events, ${r.spendguard.acknowledgedMicros} micro-dollars. Statuses seen: ${JSON.stringify(r.spendguard.statuses)}.`,
      '',
    );
  }
  const cpuRows: [string, OpenLoopPhase | MaxPhase][] = [];
  if (r.spendguard)
    cpuRows.push(['Spendguard, 400 req/s', r.spendguard.openLoop], ['Spendguard, max', r.spendguard.max]);
  if (r.ceiling)
    cpuRows.push(['bare Fastify, 400 req/s', r.ceiling.openLoop], ['bare Fastify, max', r.ceiling.max]);
  if (cpuRows.some(([, p]) => p.cpuPerRequest)) {
    lines.push(
      '## CPU per request',
      '',
      "Microseconds of CPU time per request during each phase, by process (from /proc; PostgreSQL counted machine-wide, Redis is the run's own redis-server — none for the bare handler, which uses no Redis). On these shared cores the ratio to the ceiling is bounded by the total: at 400 req/s most of it is the cost of waking each process per request, at max throughput it is the work itself.",
      '',
      '| phase | server | PostgreSQL | Redis | load generator | total |',
      '|---|---|---|---|---|---|',
    );
    for (const [name, p] of cpuRows) {
      const c = p.cpuPerRequest;
      if (c)
        lines.push(
          `| ${name} | ${c.server} | ${c.postgres} | ${c.redis} | ${c.loadGenerator} | ${c.total} |`,
        );
    }
    lines.push('');
    const sgCpu = r.spendguard?.max.cpuPerRequest;
    const bareCpu = r.ceiling?.max.cpuPerRequest;
    if (sgCpu && bareCpu && r.spendguard?.serverCpuRatioToCeiling !== undefined)
      lines.push(
        `Server CPU per event at max throughput (the Spendguard process${r.instances > 1 ? 'es' : ''} alone): **${sgCpu.server} µs**, ${r.spendguard.serverCpuRatioToCeiling}× the bare handler's ${bareCpu.server} µs per request (target ≤ ${TARGETS.serverCpuCeilingFactor}×).`,
        '',
      );
  }
  const redisRows: [string, RedisCommandsWindow | null][] = r.spendguard
    ? [
        ['A, 400 req/s', r.spendguard.openLoop.redisCommands],
        ['B, max throughput', r.spendguard.max.redisCommands],
      ]
    : [];
  if (redisRows.length > 0) {
    lines.push(
      '## Redis commands per accepted event',
      '',
      `Two counts over the same window, read right before and right after each phase, divided by the phase's 201 answers (ambiguous requests resent after the load included). The bench runs a Redis of its own (redis-server on a free port, no persistence) that only the Spendguard server(s) and the bench talk to, so in both everything the server(s) did in the window counts: the hot path, the reconciler, pub/sub publishes, last-used writes, background flushes.`,
      '',
      `- **Sent by the server** — judged, target ≤ ${TARGETS.redisCommandsPerEvent} per event in each phase: the delta of \`spendguard_redis_commands_total\` on each server instance's /metrics (every command the instance sent to Redis, by command), summed over the instances. A Lua script is one command here — one EVALSHA (EVAL on the NOSCRIPT fallback), whatever it calls inside: these are the round trips the target is about (issue 16: key lookup GET, decide EVALSHA, complete EVALSHA — about 3 per event when it was set).`,
      `- **Executed in Redis, script-internal calls included** — reported, not judged: the delta of INFO commandstats \`calls\` of the run's Redis, summed over every command but INFO (only the bench sends it). Redis counts a command where it runs, so every command a script calls (redis.call) counts as well as the EVALSHA that ran it (and those queued in MULTI/EXEC as well as the EXEC): one decision script shows as dozens of commands. Redis cannot tell those from the commands a client sent — total_commands_processed counts them too, and CLIENT LIST's per-connection tot-cmds only exists from Redis 7.4 (this run's is ${r.machine.redis}) — which is why the target uses the servers' own count.`,
      '',
      `Cross-check: the scripts Redis executed in the window (commandstats evalsha + eval) must equal the scripts the server(s) sent (evalsha + eval; the bench sends none), within ${SCRIPTS_TOLERANCE * 100} %: it shows the server's counter counts what Redis saw.`,
      '',
      '| phase | 201s | sent | sent per event | sent, by command, per event | executed | executed per event | executed, by command, per event | scripts executed / sent |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const [name, w] of redisRows) {
      if (!w) {
        lines.push(`| ${name} | — | — | not measured | — | — | not measured | — | — |`);
        continue;
      }
      const s = w.sent;
      const e = w.executed;
      const events = s?.events ?? e?.events ?? '—';
      const sent = s
        ? [s.commands, `**${s.perEvent}**`, formatBreakdown(s)]
        : ['—', `not measured: ${w.sentNotMeasured ?? '?'}`, '—'];
      const executed = e ? [e.commands, e.perEvent, formatBreakdown(e, 10)] : ['—', 'not measured', '—'];
      const scripts = w.scripts
        ? `${w.scripts.executed} / ${w.scripts.sent} (${w.scripts.differencePercent ?? '∞'} % apart)`
        : '—';
      // Commandstats names subcommands `client|setname`: escaped, not a cell boundary.
      const cells = [name, events, ...sent, ...executed, scripts].map((c) =>
        String(c).replaceAll('|', '\\|'),
      );
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  const wakeRows: [string, OpenLoopPhase | MaxPhase][] = cpuRows;
  if (wakeRows.some(([, p]) => p.wakeupsPerEvent)) {
    lines.push(
      '## Wake-ups per event',
      '',
      "Context switches per 201 answer during each phase (per request for the bare handler), summed over every thread (/proc/<pid>/task/*/status, voluntary + involuntary): the server process(es), every PostgreSQL process on the machine, the run's redis-server (none for the bare handler). A voluntary switch is a thread going to sleep to wait, each followed by a wake-up; involuntary ones are preemptions, a sign of processes queueing for the cores. Reported, not judged.",
      '',
      '| phase | server | PostgreSQL | Redis | total | of which involuntary |',
      '|---|---|---|---|---|---|',
    );
    for (const [name, p] of wakeRows) {
      const w = p.wakeupsPerEvent;
      if (w)
        lines.push(`| ${name} | ${w.server} | ${w.postgres} | ${w.redis} | ${w.total} | ${w.involuntary} |`);
    }
    lines.push('');
  }
  if (r.gateway) lines.push(...renderGateway(r.gateway, r.machine.cores));
  lines.push('## Targets and correctness', '');
  if (r.spendguard || r.ceiling)
    lines.push(
      `POST /v1/events: at 400 req/s open loop p99 ≤ ${TARGETS.p99Ms} ms and ≤ ${TARGETS.p99CeilingFactor}× the bare handler's p99 at 400 req/s, zero errors (transport errors and non-201); Redis commands sent per accepted event (spendguard_redis_commands_total) ≤ ${TARGETS.redisCommandsPerEvent} at 400 req/s and at max throughput, the scripts Redis executed equal to those sent within ${SCRIPTS_TOLERANCE * 100} %; max throughput ≥ ${TARGETS.ceilingRatio * 100} % of the bare handler's (judged with one instance only); server CPU per event at max throughput ≤ ${TARGETS.serverCpuCeilingFactor}× the bare handler's CPU per request there; server RSS ≤ ${TARGETS.rssMB} MB per process; spend and rows exactly what was acknowledged.`,
      '',
    );
  lines.push('| check | result | measured |', '|---|---|---|');
  for (const c of r.checks)
    lines.push(`| ${c.name} | ${c.ok ? 'PASS' : '**FAIL**'} | ${c.detail.replaceAll('|', '/')} |`);
  lines.push('');
  return lines.join('\n');
}

function gatewayRow(name: string, l: GatewayLoop): string {
  return `| ${name} | ${l.achievedRate} (offered ${l.rate}) | ${l.p50} | ${l.p90} | ${l.p99} | ${l.max} | ${l.ttfbP50} | ${l.ttfbP99} | ${l.errors} | ${l.non200} |`;
}

const gatewayLoops = (r: GatewayRate): [string, GatewayLoop][] => [
  [`non-streamed, direct, ${r.rate} req/s`, r.nonStreamed.direct],
  [`non-streamed, through the gateway, ${r.rate} req/s`, r.nonStreamed.gateway],
  [`streamed, direct, ${r.rate} req/s`, r.streamed.direct],
  [`streamed, through the gateway, ${r.rate} req/s`, r.streamed.gateway],
];

function addedLine(r: GatewayRate): string {
  const share = (s: ServerAdded, bound: string) => s.percentAtOrBelow[bound] ?? '?';
  const ns = r.nonStreamed;
  const st = r.streamed;
  return (
    `At ${r.rate} req/s the gateway added: non-streamed p50 **${ns.added.p50} ms**, p90 ${ns.added.p90} ms, p99 **${ns.added.p99} ms**; streamed time to first byte p50 **${st.addedTtfb.p50} ms**, p90 ${st.addedTtfb.p90} ms, p99 ${st.addedTtfb.p99} ms. ` +
    `Its own histogram (spendguard_gateway_added_latency_seconds over the loop, the provider's time excluded): non-streamed mean ${ns.serverAdded.meanMs} ms, ${share(ns.serverAdded, '2 ms')} % of calls ≤ 2 ms, ${share(ns.serverAdded, '10 ms')} % ≤ 10 ms; first byte mean ${st.serverAdded.meanMs} ms, ${share(st.serverAdded, '2 ms')} % ≤ 2 ms.`
  );
}

function renderGateway(g: GatewayReport, cores: number): string[] {
  const cs = g.concurrentStreams;
  const loops = [...gatewayLoops(g.low), ...gatewayLoops(g)];
  const lines = [
    '## LLM gateway (POST /llm/openai/v1/chat/completions)',
    '',
    `The same chat completion sent straight to the provider simulator (a child process of its own, answering both sides) and through the gateway (auth, estimate, atomic hold, forward with undici, commit from the reported usage), each an open loop after a warm-up, one after the other: ${g.seconds} s at ${g.rate} req/s (where the targets are judged), and first ${g.low.seconds} s at ${g.low.rate} req/s, where nothing queues (the gateway's own path). Latency from each request's scheduled send time; first byte = the first body byte (a stream's first SSE frame). Added = the gateway's percentile minus the direct one, both measured in this run.`,
    '',
    '| call | req/s | p50 ms | p90 ms | p99 ms | max ms | first byte p50 ms | first byte p99 ms | transport errors | non-200 |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...loops.map(([name, l]) => gatewayRow(name, l)),
    '',
    addedLine(g),
    '',
    addedLine(g.low),
    '',
    `${cs.streams} streams sent at once through the gateway, each ${cs.chunks} content chunks ${cs.chunkDelayMs} ms apart: peak **${cs.peakOpen}** open at the same time, **${cs.fullyReceived}** fully received (ending \`data: [DONE]\`, no error frame, the exact text), ${cs.errors} failed; first byte p50 ${cs.ttfbP50} ms / p99 ${cs.ttfbP99} ms from the burst's start, stream duration p50 ${cs.durationP50} ms / max ${cs.durationMax} ms, all done in ${cs.wallMs} ms. Usage-only chunks passed on to a client that had not asked for them: ${g.usageChunksLeaked}.`,
    '',
    `Committed, per agent (expected from X-Spendguard-Cost-Micros of each non-streamed answer, and ${g.costMicros.defaultCall} / ${g.costMicros.burstStream} micros per stream of the simulator's default / burst usage): ${Object.entries(
      g.committed,
    )
      .map(([n, e]) => `${n} ${e.calls} calls, ${e.micros} micros`)
      .join('; ')}.`,
    '',
  ];
  if (loops.some(([, l]) => l.cpuPerCall)) {
    lines.push(
      "CPU per call, µs (server = Spendguard, idle in the direct loops; PostgreSQL machine-wide, Redis the run's own redis-server). Cores busy = total × the achieved rate: how much of the machine the loop kept busy — near the core count, calls queue for the CPU and latency is mostly waiting.",
      '',
      '| call | server | simulator | PostgreSQL | Redis | load generator | total | cores busy |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [name, l] of loops) {
      const c = l.cpuPerCall;
      if (c)
        lines.push(
          `| ${name} | ${c.server} | ${c.simulator} | ${c.postgres} | ${c.redis} | ${c.loadGenerator} | ${c.total} | ${Math.round((c.total * l.achievedRate) / 1e4) / 100} of ${cores} |`,
        );
    }
    lines.push('');
  }
  return lines;
}

export function writeReport(report: BenchReport, partial?: string): string[] {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Multi-instance runs and partial runs (--gateway-only) keep their own files so they never overwrite the
  // single-instance reference run.
  const base = [
    'latest',
    ...(report.instances > 1 ? [`instances-${report.instances}`] : []),
    ...(partial ? [partial] : []),
  ].join('-');
  const json = join(dir, `${base}.json`);
  const md = join(dir, `${base}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(report));
  return [json, md];
}
