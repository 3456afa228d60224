// Wake-ups per event: how often the server process(es), PostgreSQL and Redis were switched off the CPU during a
// phase, per 201 answer. Counted from the kernel's context switches of every thread, /proc/<pid>/task/<tid>/status
// (voluntary_ctxt_switches: the thread went to sleep to wait, and woke up again; nonvoluntary_ctxt_switches: it was
// preempted). /proc/<pid>/status alone counts the main thread only. The processes are found as cpu-usage.ts finds
// them. Linux only; elsewhere every figure is null.
import { readdirSync, readFileSync } from 'node:fs';
import { type CpuKind, classifyProcesses } from './cpu-usage.js';

type WakeKind = Exclude<CpuKind, 'loadGenerator'>;

export interface CtxtSwitches {
  voluntary: number;
  nonvoluntary: number;
}

/** The two context-switch counters of a /proc/<pid>/status (or task/<tid>/status) text; null if either is absent. */
export function parseCtxtSwitches(status: string): CtxtSwitches | null {
  const voluntary = /^voluntary_ctxt_switches:\s*(\d+)\s*$/m.exec(status)?.[1];
  const nonvoluntary = /^nonvoluntary_ctxt_switches:\s*(\d+)\s*$/m.exec(status)?.[1];
  if (voluntary === undefined || nonvoluntary === undefined) return null;
  return { voluntary: Number(voluntary), nonvoluntary: Number(nonvoluntary) };
}

export interface WakeupSample {
  /** By `${pid}/${tid}`: so a thread or process that ends in between is left out rather than made a negative. */
  tasks: Map<string, { kind: WakeKind } & CtxtSwitches>;
}

/** Context switches per event, by process kind; `involuntary` is the nonvoluntary part of `total`. */
export interface WakeupsPerEvent {
  server: number;
  postgres: number;
  redis: number;
  total: number;
  involuntary: number;
}

function tasksOf(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // the process ended
  }
}

function readStatus(path: string): CtxtSwitches | null {
  try {
    return parseCtxtSwitches(readFileSync(path, 'utf8'));
  } catch {
    return null; // the thread ended between readdir and read
  }
}

/** Context switches so far of every thread of the server(s), PostgreSQL and Redis (see classifyProcesses). */
export function sampleWakeups(serverPids: number[], redisPids?: number[]): WakeupSample | null {
  const kinds = classifyProcesses(serverPids, redisPids);
  if (!kinds) return null;
  const tasks: WakeupSample['tasks'] = new Map();
  for (const [pid, kind] of kinds) {
    if (kind === 'loadGenerator') continue;
    for (const tid of tasksOf(pid)) {
      const switches = readStatus(`/proc/${pid}/task/${tid}/status`);
      if (switches) tasks.set(`${pid}/${tid}`, { kind, ...switches });
    }
  }
  return { tasks };
}

/**
 * Context switches per event between two samples, thread by thread: one that ended in between is not counted, one
 * that started in between counts from its start. Two decimals.
 */
export function wakeupsPerEvent(
  before: WakeupSample | null,
  after: WakeupSample | null,
  events: number,
): WakeupsPerEvent | null {
  if (!before || !after || events <= 0) return null;
  const used = { server: 0, postgres: 0, redis: 0 };
  let involuntary = 0;
  for (const [key, t] of after.tasks) {
    const was = before.tasks.get(key);
    const voluntary = Math.max(0, t.voluntary - (was?.voluntary ?? 0));
    const nonvoluntary = Math.max(0, t.nonvoluntary - (was?.nonvoluntary ?? 0));
    used[t.kind] += voluntary + nonvoluntary;
    involuntary += nonvoluntary;
  }
  const per = (n: number) => Math.round((n * 100) / events) / 100;
  return {
    server: per(used.server),
    postgres: per(used.postgres),
    redis: per(used.redis),
    total: per(used.server + used.postgres + used.redis),
    involuntary: per(involuntary),
  };
}
