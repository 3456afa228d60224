// Redis commands per accepted event: INFO commandstats of the run's own redis-server read right before and right
// after a phase, the delta of `calls` summed over every command, divided by the phase's 201 answers. Nothing but the
// bench and the Spendguard server(s) talks to that Redis, so everything the servers sent in the window counts —
// the hot path, the reconciler, pub/sub. Redis counts a command where it runs: the commands a Lua script calls
// (redis.call) and those queued in MULTI/EXEC are counted as well as the EVALSHA or EXEC that ran them.

/** Commands only the bench sends in a window (its own INFO commandstats snapshots): left out of every count. */
export const BENCH_ONLY_COMMANDS: ReadonlySet<string> = new Set(['info']);

/** `calls` of each command in an INFO commandstats reply (Redis 7 names subcommands `client|setname`). */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:\s]+):calls=(\d+)/gm))
    calls.set((match[1] as string).toLowerCase(), Number(match[2]));
  return calls;
}

export interface RedisCommandsPerEvent {
  /** 201 answers in the window. */
  events: number;
  /** Commands in the window, the bench's own left out. */
  commands: number;
  /** commands / events, three decimals. */
  perEvent: number;
  /** Per event by command, three decimals, largest first. */
  byCommand: Record<string, number>;
}

/** The window between two commandstats snapshots, per event; null without events. */
export function redisCommandsPerEvent(
  before: Map<string, number>,
  after: Map<string, number>,
  events: number,
): RedisCommandsPerEvent | null {
  if (events <= 0) return null;
  const deltas: [string, number][] = [];
  let commands = 0;
  for (const [name, calls] of after) {
    if (BENCH_ONLY_COMMANDS.has(name)) continue;
    // Never below zero (CONFIG RESETSTAT in between would otherwise subtract).
    const delta = Math.max(0, calls - (before.get(name) ?? 0));
    if (delta === 0) continue;
    deltas.push([name, delta]);
    commands += delta;
  }
  deltas.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const per = (n: number) => Math.round((n * 1000) / events) / 1000;
  return {
    events,
    commands,
    perEvent: per(commands),
    byCommand: Object.fromEntries(deltas.map(([name, n]) => [name, per(n)])),
  };
}

/** "evalsha 1.000, get 0.980, publish 0.010": the breakdown as one line, the first `limit` commands. */
export function formatBreakdown(r: RedisCommandsPerEvent, limit = Number.POSITIVE_INFINITY): string {
  const entries = Object.entries(r.byCommand);
  const shown = entries.slice(0, limit).map(([name, n]) => `${name} ${n.toFixed(3)}`);
  if (entries.length > limit) shown.push(`… ${entries.length - limit} more`);
  return shown.length > 0 ? shown.join(', ') : 'none';
}
