// Redis commands per accepted event, two counts over the same window (right before and right after a phase), each
// divided by the phase's 201 answers:
// - sent: spendguard_redis_commands_total from every server instance's /metrics — every command the instance SENT to
//   Redis, by command; a Lua script is one EVALSHA (EVAL on the NOSCRIPT fallback) whatever it calls inside. The
//   round trips the target (TARGETS.redisCommandsPerEvent) is about; the delta is taken per instance, then summed.
// - executed: INFO commandstats of the run's own redis-server. Nothing but the bench and the Spendguard server(s)
//   talks to that Redis, so everything the servers did in the window counts — the hot path, the reconciler, pub/sub.
//   Redis counts a command where it runs: the commands a Lua script calls (redis.call) and those queued in
//   MULTI/EXEC are counted as well as the EVALSHA or EXEC that ran them, and it cannot tell them apart from the
//   commands a client sent. Reported, not judged.
// The scripts (EVALSHA, EVAL) are counted once on each side, so the two must agree on them: crossCheckScripts.
import { METRICS_TOKEN, parsePrometheus } from './server-metrics.js';

/** Commands only the bench sends in a window (its own INFO commandstats snapshots): left out of the executed count. */
export const BENCH_ONLY_COMMANDS: ReadonlySet<string> = new Set(['info']);

/** `calls` of each command in an INFO commandstats reply (Redis 7 names subcommands `client|setname`). */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:\s]+):calls=(\d+)/gm))
    calls.set((match[1] as string).toLowerCase(), Number(match[2]));
  return calls;
}

/** The server's counter of the commands it sent to Redis, one sample per `command` label. */
export const SENT_COUNTER = 'spendguard_redis_commands_total';

/**
 * Commands sent by command from one instance's /metrics text (samples of one command summed, whatever other labels
 * they carry); null when the counter is not there at all — neither declared (`# TYPE`) nor sampled — so a server
 * without it reads as not measured rather than as zero commands.
 */
export function parseSentCommands(text: string): Map<string, number> | null {
  const sent = new Map<string, number>();
  let found = new RegExp(`^# TYPE ${SENT_COUNTER} `, 'm').test(text);
  for (const s of parsePrometheus(text)) {
    if (s.name !== SENT_COUNTER) continue;
    found = true;
    const command = (s.labels.command ?? '').toLowerCase();
    sent.set(command, (sent.get(command) ?? 0) + s.value);
  }
  return found ? sent : null;
}

/** One reading of every instance's counter, in the order of the instances, or why it could not be read. */
export type SentReading = { counts: Map<string, number>[] } | { error: string };

/** Reads spendguard_redis_commands_total from every instance's /metrics (all at once); any failure is an error. */
export async function readSentCommands(baseUrls: string[]): Promise<SentReading> {
  const readings = await Promise.all(
    baseUrls.map(async (url): Promise<Map<string, number> | string> => {
      try {
        const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
        const text = await res.text();
        if (res.status !== 200) return `${url}/metrics answered ${res.status}`;
        return parseSentCommands(text) ?? `${url}/metrics has no ${SENT_COUNTER}`;
      } catch (error) {
        return `${url}/metrics could not be read (${error instanceof Error ? error.message : String(error)})`;
      }
    }),
  );
  const errors = readings.filter((r): r is string => typeof r === 'string');
  if (errors.length > 0) return { error: errors.join('; ') };
  return { counts: readings as Map<string, number>[] };
}

/** Per command, what a counter grew by between two readings; never below zero (a reset would subtract). */
export function commandDeltas(
  before: Map<string, number>,
  after: Map<string, number>,
  leaveOut: ReadonlySet<string> = new Set(),
): Map<string, number> {
  const deltas = new Map<string, number>();
  for (const [name, calls] of after) {
    if (leaveOut.has(name)) continue;
    const delta = Math.max(0, calls - (before.get(name) ?? 0));
    if (delta > 0) deltas.set(name, delta);
  }
  return deltas;
}

/** The per-command deltas of each instance (before[i] → after[i]), summed over the instances. */
export function sumInstanceDeltas(
  before: Map<string, number>[],
  after: Map<string, number>[],
): Map<string, number> {
  if (before.length !== after.length)
    throw new Error(`${before.length} readings before the window, ${after.length} after`);
  const sum = new Map<string, number>();
  before.forEach((b, i) => {
    for (const [name, n] of commandDeltas(b, after[i] as Map<string, number>))
      sum.set(name, (sum.get(name) ?? 0) + n);
  });
  return sum;
}

export interface RedisCommandsPerEvent {
  /** 201 answers in the window. */
  events: number;
  /** Commands in the window (for the executed count, the bench's own left out). */
  commands: number;
  /** commands / events, three decimals. */
  perEvent: number;
  /** Per event by command, three decimals, largest first. */
  byCommand: Record<string, number>;
}

/** Commands by command in a window, per event; null without events. */
export function perEvent(deltas: Map<string, number>, events: number): RedisCommandsPerEvent | null {
  if (events <= 0) return null;
  const entries = [...deltas].filter(([, n]) => n > 0);
  entries.sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  const commands = entries.reduce((sum, [, n]) => sum + n, 0);
  const per = (n: number) => Math.round((n * 1000) / events) / 1000;
  return {
    events,
    commands,
    perEvent: per(commands),
    byCommand: Object.fromEntries(entries.map(([name, n]) => [name, per(n)])),
  };
}

/** What Redis executed between two commandstats snapshots (INFO left out), per event; null without events. */
export function redisCommandsPerEvent(
  before: Map<string, number>,
  after: Map<string, number>,
  events: number,
): RedisCommandsPerEvent | null {
  return perEvent(commandDeltas(before, after, BENCH_ONLY_COMMANDS), events);
}

/** The commands that run a Lua script (the server uses no other): one each, sent and in commandstats alike. */
export const SCRIPT_COMMANDS: ReadonlySet<string> = new Set(['eval', 'evalsha']);

/** How far apart the scripts Redis ran and those the servers sent may be, as a share of those sent. */
export const SCRIPTS_TOLERANCE = 0.01;

export interface ScriptsCrossCheck {
  /** Scripts the server(s) sent in the window (spendguard_redis_commands_total). */
  sent: number;
  /** Scripts Redis ran in the window (INFO commandstats `calls`). */
  executed: number;
  /** |executed − sent| / sent in percent, two decimals (0 when both are 0, null when only sent is 0). */
  differencePercent: number | null;
  ok: boolean;
}

const scripts = (deltas: Map<string, number>) =>
  [...deltas].reduce((n, [name, calls]) => n + (SCRIPT_COMMANDS.has(name) ? calls : 0), 0);

/**
 * The bench sends no scripts, so every script Redis ran in the window was sent by a server: the two counts must
 * agree within `tolerance` of the sent count (the windows' edges are read a moment apart). A mismatch means the
 * server's counter misses commands (or counts some it did not send).
 */
export function crossCheckScripts(
  sentDeltas: Map<string, number>,
  executedDeltas: Map<string, number>,
  tolerance = SCRIPTS_TOLERANCE,
): ScriptsCrossCheck {
  const sent = scripts(sentDeltas);
  const executed = scripts(executedDeltas);
  const difference = Math.abs(executed - sent);
  return {
    sent,
    executed,
    differencePercent:
      sent > 0 ? Math.round((difference / sent) * 10_000) / 100 : difference === 0 ? 0 : null,
    ok: difference <= tolerance * sent,
  };
}

/** Both counts of one phase window and their cross-check, as the report keeps them. */
export interface RedisCommandsWindow {
  /** Commands the server(s) sent, per 201 — judged against TARGETS.redisCommandsPerEvent; null if not measured. */
  sent: RedisCommandsPerEvent | null;
  /** Why `sent` (and the cross-check) is null: no 201s, or a /metrics reading that failed. */
  sentNotMeasured?: string;
  /** Commands Redis executed (INFO commandstats, script-internal calls included), per 201; reported only. */
  executed: RedisCommandsPerEvent | null;
  /** The scripts Redis ran against those the servers sent; null if either side is not measured. */
  scripts: ScriptsCrossCheck | null;
}

/** A phase window's Redis commands from the readings at its two edges. */
export function redisCommandsWindow(w: {
  events: number;
  sentBefore: SentReading;
  sentAfter: SentReading;
  executedBefore: Map<string, number>;
  executedAfter: Map<string, number>;
}): RedisCommandsWindow {
  const executedDeltas = commandDeltas(w.executedBefore, w.executedAfter, BENCH_ONLY_COMMANDS);
  const executed = perEvent(executedDeltas, w.events);
  const notMeasured = (why: string): RedisCommandsWindow => ({
    sent: null,
    sentNotMeasured: why,
    executed,
    scripts: null,
  });
  if (w.events <= 0) return notMeasured('no 201 in the phase');
  if ('error' in w.sentBefore) return notMeasured(`before the phase: ${w.sentBefore.error}`);
  if ('error' in w.sentAfter) return notMeasured(`after the phase: ${w.sentAfter.error}`);
  if (w.sentBefore.counts.length !== w.sentAfter.counts.length)
    return notMeasured(
      `${w.sentBefore.counts.length} instances read before the phase, ${w.sentAfter.counts.length} after`,
    );
  const sentDeltas = sumInstanceDeltas(w.sentBefore.counts, w.sentAfter.counts);
  return {
    sent: perEvent(sentDeltas, w.events),
    executed,
    scripts: crossCheckScripts(sentDeltas, executedDeltas),
  };
}

/** "evalsha 1.000, get 0.980, publish 0.010": the breakdown as one line, the first `limit` commands. */
export function formatBreakdown(r: RedisCommandsPerEvent, limit = Number.POSITIVE_INFINITY): string {
  const entries = Object.entries(r.byCommand);
  const shown = entries.slice(0, limit).map(([name, n]) => `${name} ${n.toFixed(3)}`);
  if (entries.length > limit) shown.push(`… ${entries.length - limit} more`);
  return shown.length > 0 ? shown.join(', ') : 'none';
}
