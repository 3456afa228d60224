// Where the machine's CPU went during a phase, per request: the server process(es), PostgreSQL (all its processes),
// Redis (the run's own redis-server where the caller names it), and this process (the load generator). Read from
// /proc, so Linux only; elsewhere every figure is null.
// On a machine where all four share the cores, this says what a higher throughput would have to cut: the ratio to
// the bare-handler ceiling is bounded by total CPU per request, not by the server's share alone.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux build we run on. */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  server: number;
  postgres: number;
  redis: number;
  loadGenerator: number;
  /** Each counted process: its kind and CPU seconds so far (so a process that ends in between is not a negative). */
  processes?: Map<string, { kind: CpuKind; seconds: number }>;
}

export type CpuKind = 'server' | 'postgres' | 'redis' | 'loadGenerator';
const KINDS: CpuKind[] = ['server', 'postgres', 'redis', 'loadGenerator'];

export type CpuPerRequest = { [K in CpuKind]: number } & { total: number };

function ticksOf(pid: string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null; // the process ended between readdir and read
  }
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The processes a phase's figures count, by pid: the given server pids, this process (the load generator), every
 * PostgreSQL process on the machine, and Redis — the given pids (the run's own redis-server; [] for none) or, when
 * `redisPids` is absent, every process whose command starts with redis. Null where /proc is not readable.
 */
export function classifyProcesses(serverPids: number[], redisPids?: number[]): Map<string, CpuKind> | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const servers = new Set(serverPids.map(String));
  const redis = redisPids ? new Set(redisPids.map(String)) : null;
  const kinds = new Map<string, CpuKind>();
  for (const pid of pids) {
    let kind: CpuKind | null = null;
    if (servers.has(pid)) kind = 'server';
    else if (pid === String(process.pid)) kind = 'loadGenerator';
    else if (redis?.has(pid)) kind = 'redis';
    else {
      const command = commandOf(pid);
      if (command.startsWith('postgres')) kind = 'postgres';
      else if (!redis && command.startsWith('redis')) kind = 'redis';
    }
    if (kind !== null) kinds.set(pid, kind);
  }
  return kinds;
}

/** CPU seconds used so far. PostgreSQL is counted machine-wide; Redis as classifyProcesses says. */
export function sampleCpu(serverPids: number[], redisPids?: number[]): CpuSample | null {
  const kinds = classifyProcesses(serverPids, redisPids);
  if (!kinds) return null;
  const sample: CpuSample = { server: 0, postgres: 0, redis: 0, loadGenerator: 0, processes: new Map() };
  for (const [pid, kind] of kinds) {
    const ticks = ticksOf(pid);
    if (ticks === null) continue;
    sample[kind] += ticks / TICKS_PER_SECOND;
    sample.processes?.set(pid, { kind, seconds: ticks / TICKS_PER_SECOND });
  }
  return sample;
}

/**
 * Microseconds of CPU per request between two samples. Process by process when the samples list them: a process that
 * ended in between is not counted (a PostgreSQL backend or autovacuum worker exiting would otherwise make the
 * machine-wide sum shrink, even below zero), one that started in between is counted from its start.
 */
export function cpuPerRequest(
  before: CpuSample | null,
  after: CpuSample | null,
  requests: number,
): CpuPerRequest | null {
  if (!before || !after || requests <= 0) return null;
  const used = { server: 0, postgres: 0, redis: 0, loadGenerator: 0 };
  if (before.processes && after.processes) {
    for (const [pid, p] of after.processes)
      used[p.kind] += Math.max(0, p.seconds - (before.processes.get(pid)?.seconds ?? 0));
  } else {
    for (const kind of KINDS) used[kind] = after[kind] - before[kind];
  }
  const per = (key: CpuKind) => Math.round((used[key] * 1e6) / requests);
  const result = {
    server: per('server'),
    postgres: per('postgres'),
    redis: per('redis'),
    loadGenerator: per('loadGenerator'),
  };
  return { ...result, total: result.server + result.postgres + result.redis + result.loadGenerator };
}

/** CPU seconds one process has used so far (null where /proc is not readable or the process is gone). */
export function processCpuSeconds(pid: number): number | null {
  const ticks = ticksOf(String(pid));
  return ticks === null ? null : ticks / TICKS_PER_SECOND;
}
