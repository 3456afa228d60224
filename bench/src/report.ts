// bench/results/latest.json (everything measured) and latest.md (the same, for people).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuPerRequest } from './cpu-usage.js';
import type { ServerMetrics } from './server-metrics.js';
import { ROOT } from './stack.js';

export const TARGETS = { p50Ms: 3, p99Ms: 15, ceilingRatio: 0.35, rssMB: 256 } as const;

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
    acknowledged: number;
    acknowledgedMicros: number;
    statuses: Record<string, number>;
  } | null;
  ceiling: { openLoop: OpenLoopPhase; max: MaxPhase; rssPeakMB: number } | null;
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
    '## POST /v1/events',
    '',
    '| target | phase | req/s | p50 ms | p90 ms | p99 ms | max ms | transport errors | non-201 |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  if (r.spendguard) {
    lines.push(row('Spendguard', r.spendguard.openLoop), row('Spendguard', r.spendguard.max));
  }
  if (r.ceiling) {
    lines.push(
      row('bare Fastify (ceiling)', r.ceiling.openLoop),
      row('bare Fastify (ceiling)', r.ceiling.max),
    );
  }
  lines.push('');
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
      'Microseconds of CPU time per request during each phase, by process (from /proc; PostgreSQL and Redis counted machine-wide). On these shared cores the ratio to the ceiling is bounded by the total: at 400 req/s most of it is the cost of waking each process per request, at max throughput it is the work itself.',
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
  }
  lines.push('## Targets and correctness', '', '| check | result | measured |', '|---|---|---|');
  for (const c of r.checks)
    lines.push(`| ${c.name} | ${c.ok ? 'PASS' : '**FAIL**'} | ${c.detail.replaceAll('|', '/')} |`);
  lines.push('');
  return lines.join('\n');
}

export function writeReport(report: BenchReport): string[] {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // Multi-instance runs keep their own files so they never overwrite the single-instance reference run.
  const base = report.instances > 1 ? `latest-instances-${report.instances}` : 'latest';
  const json = join(dir, `${base}.json`);
  const md = join(dir, `${base}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, renderMarkdown(report));
  return [json, md];
}
