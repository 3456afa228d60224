// The `spendguard` command line (SPEC §15): agents, the kill switch, limits and events of one customer, read with
// an admin key. Exit codes: 0 done, 1 the API refused or failed or the server is unreachable, 2 bad usage.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiError, createClient, UnreachableError } from './client.js';
import { colourEnabled, csv, EVENT_CSV_COLUMNS, eventCsvRow, palette, table, usd } from './format.js';

const VERSION = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
const DEFAULT_URL = 'http://127.0.0.1:8787';
/** How often `tail` asks for new events: well inside the promised second. */
const TAIL_INTERVAL_MS = 300;
/** `tail` re-reads this much before the newest event it saw, for events committed slightly out of order. */
const TAIL_OVERLAP_MS = 5_000;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

class UsageError extends Error {}

/**
 * Runs the command line and resolves with its exit code; never calls process.exit itself.
 * @param {string[]} argv process.argv
 * @param {Record<string, string | undefined>} env
 * @param {{ stdout?: NodeJS.WriteStream, stderr?: NodeJS.WriteStream }} [io]
 * @returns {Promise<number>}
 */
export async function main(argv, env, io = {}) {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  // `spendguard events | head` closes the pipe early: that is not an error.
  stdout.on('error', (/** @type {NodeJS.ErrnoException} */ error) => {
    if (error.code === 'EPIPE') process.exit(EXIT_OK);
    throw error;
  });
  const out = (/** @type {string} */ text) => stdout.write(text);
  const colours = palette(colourEnabled(stdout, env));
  const errColours = palette(colourEnabled(stderr, env));
  const apiKey = env.SPENDGUARD_API_KEY ?? '';
  /** Never print the key, whatever a message happens to contain. */
  const redact = (/** @type {string} */ text) =>
    apiKey.length >= 8 ? text.replaceAll(apiKey, '[key]') : text;

  const program = buildProgram({ env, out, colours });
  program.configureOutput({
    writeOut: (text) => stdout.write(text),
    writeErr: (text) => stderr.write(redact(text)),
    outputError: (text, write) => write(errColours.red(text)),
  });
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0; any other parse error is bad usage.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError) {
      stderr.write(
        redact(`${errColours.red(`error: ${error.message}`)}\n(run spendguard --help for usage)\n`),
      );
      return EXIT_USAGE;
    }
    if (error instanceof ApiError) {
      stderr.write(
        redact(`${errColours.red(`error: ${error.code}: ${error.message}`)} (HTTP ${error.status})\n`),
      );
      return EXIT_FAILED;
    }
    if (error instanceof UnreachableError) {
      stderr.write(redact(`${errColours.red(`error: ${error.message}`)}\n`));
      return EXIT_FAILED;
    }
    stderr.write(redact(`error: ${error instanceof Error ? error.message : String(error)}\n`));
    return EXIT_FAILED;
  }
}

/**
 * @param {{ env: Record<string, string | undefined>, out: (text: string) => void, colours: ReturnType<typeof palette> }} ctx
 */
function buildProgram({ env, out, colours }) {
  const program = new Command('spendguard');
  program
    .description(
      'Command line for Spendguard: list agents, kill and resume them, set their limits, read and tail events.',
    )
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Settings (environment):
  SPENDGUARD_URL      the server (default ${DEFAULT_URL})
  SPENDGUARD_API_KEY  an admin API key (sg_admin_…); required

Exit codes: 0 done, 1 the API refused or failed or the server is unreachable, 2 bad usage.
Nothing asks for confirmation. Colours only on a terminal, never with NO_COLOR set.`,
    );

  /** The API client; a missing key or a malformed URL is bad usage. */
  const client = () => {
    const apiKey = env.SPENDGUARD_API_KEY ?? '';
    if (apiKey === '') throw new UsageError('SPENDGUARD_API_KEY is not set (an admin API key, sg_admin_…)');
    const baseUrl = env.SPENDGUARD_URL || DEFAULT_URL;
    let parsed;
    try {
      parsed = new URL(baseUrl);
    } catch {
      throw new UsageError(`SPENDGUARD_URL is not a URL: ${baseUrl}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new UsageError(`SPENDGUARD_URL must be http:// or https://, not ${parsed.protocol}`);
    return createClient({ baseUrl, apiKey, userAgent: `spendguard-cli/${VERSION}` });
  };
  const json = (/** @type {unknown} */ value) => out(`${JSON.stringify(value, null, 2)}\n`);
  const agentPath = (/** @type {string} */ name) => `/v1/agents/${encodeURIComponent(name)}`;

  program
    .command('agents')
    .description('List the agents with their status, live spend and limits (ordered by name).')
    .option('--archived', 'list only archived agents')
    .option('--json', 'print the agent objects as one JSON array')
    .addHelpText('after', "\nExample:\n  spendguard agents\n  spendguard agents --json | jq -r '.[].name'")
    .action(async (opts) => {
      const agents = await client().list('/v1/agents', { archived: opts.archived ? 'true' : undefined });
      if (opts.json) return json(agents);
      if (agents.length === 0) return out(opts.archived ? 'No archived agents.\n' : 'No agents yet.\n');
      out(agentsTable(agents, colours));
    });

  program
    .command('agent')
    .description('Show one agent: status, kill switch, live spend against each limit.')
    .argument('<name>', 'the agent name')
    .option('--json', 'print the agent object as JSON')
    .addHelpText('after', '\nExample:\n  spendguard agent research-bot')
    .action(async (name, opts) => {
      const agent = await client().request('GET', agentPath(name));
      if (opts.json) return json(agent);
      out(agentDetails(agent, colours));
    });

  program
    .command('kill')
    .description(
      'Suspend an agent now (the kill switch): every event and reservation of it is declined until resume.',
    )
    .argument('<name>', 'the agent name')
    .option('--note <text>', 'why, kept with the suspension (up to 1,000 characters)')
    .option('--json', 'print the agent object as JSON')
    .addHelpText('after', '\nExample:\n  spendguard kill research-bot --note "looping on search"')
    .action(async (name, opts) => {
      const body = opts.note === undefined ? {} : { note: opts.note };
      const agent = await client().request('POST', `${agentPath(name)}/suspend`, body);
      if (opts.json) return json(agent);
      out(
        `${colours.red('Suspended')} ${agent.name}: its events and reservations are declined until resumed.\n`,
      );
    });

  program
    .command('resume')
    .description('Lift any suspension of an agent (manual, budget, velocity or loop).')
    .argument('<name>', 'the agent name')
    .option('--json', 'print the agent object as JSON')
    .addHelpText('after', '\nExample:\n  spendguard resume research-bot')
    .action(async (name, opts) => {
      const agent = await client().request('POST', `${agentPath(name)}/resume`);
      if (opts.json) return json(agent);
      out(`${colours.green('Resumed')} ${agent.name}: status ${agent.status}.\n`);
    });

  program
    .command('limits')
    .description(
      "Show or change an agent's limits; options left out keep their value. Without options: show them.",
    )
    .argument('<name>', 'the agent name')
    .option('--month-usd <usd>', 'monthly limit in USD (UTC calendar month)', parseUsd)
    .option('--day-usd <usd>', 'daily limit in USD (UTC day)', parseUsd)
    .option('--run-usd <usd>', 'limit per run in USD', parseUsd)
    .option('--velocity-usd <usd>', 'at most this many USD within --velocity-window', parseUsd)
    .option('--velocity-window <seconds>', 'the velocity window, 1-3600 seconds', parseWindow)
    .addOption(
      new Option('--clear <limit>', 'remove a limit (repeatable, or comma-separated)')
        .choices(['month', 'day', 'run', 'velocity'])
        .argParser(collectClear),
    )
    .option('--json', 'print the agent object as JSON')
    .addHelpText(
      'after',
      `
Amounts are decimal USD ("50", "0.25"); Spendguard rounds them half-up to whole micro-dollars.
Examples:
  spendguard limits research-bot --month-usd 50 --day-usd 5
  spendguard limits research-bot --velocity-usd 2 --velocity-window 60
  spendguard limits research-bot --clear day --clear velocity`,
    )
    .action(async (name, opts) => {
      const limits = limitsPatch(opts);
      const api = client();
      const agent =
        limits === undefined
          ? await api.request('GET', agentPath(name))
          : await api.request('PATCH', agentPath(name), { limits });
      if (opts.json) return json(agent);
      if (limits !== undefined) out(`Updated the limits of ${agent.name}.\n`);
      out(limitsLines(agent, colours));
    });

  program
    .command('events')
    .description('List events, newest first.')
    .option('--agent <name>', 'only this agent')
    .addOption(
      new Option('--status <status>', 'only accepted or declined events').choices(['accepted', 'declined']),
    )
    .option('--limit <n>', 'at most this many events', parseLimit, 50)
    .addOption(new Option('--json', 'print the event objects as one JSON array').conflicts('csv'))
    .addOption(new Option('--csv', `print RFC 4180 CSV: ${EVENT_CSV_COLUMNS.join(',')}`).conflicts('json'))
    .addHelpText(
      'after',
      '\nExamples:\n  spendguard events --agent research-bot --status declined\n  spendguard events --limit 1000 --csv > events.csv',
    )
    .action(async (opts) => {
      const events = await client().list(
        '/v1/events',
        { agent: opts.agent, status: opts.status },
        opts.limit,
      );
      if (opts.json) return json(events);
      if (opts.csv) return out(csv(EVENT_CSV_COLUMNS, events.map(eventCsvRow)));
      if (events.length === 0) return out('No events.\n');
      out(eventsTable(events, colours));
    });

  program
    .command('tail')
    .description('Print each new event as it is recorded (within a second), until Ctrl-C.')
    .option('--agent <name>', 'only this agent')
    .addOption(
      new Option('--status <status>', 'only accepted or declined events').choices(['accepted', 'declined']),
    )
    .option('--json', 'print one JSON object per line')
    .addHelpText('after', '\nExample:\n  spendguard tail --agent research-bot')
    .action(async (opts) => {
      const api = client();
      const print = opts.json
        ? (/** @type {any} */ event) => out(`${JSON.stringify(event)}\n`)
        : (/** @type {any} */ event) => out(`${eventLine(event, colours)}\n`);
      await tail(api, { agent: opts.agent, status: opts.status }, print);
    });

  return program;
}

// ---------------------------------------------------------------------------------------------- argument parsing

const USD_PATTERN = /^(?:\d+(?:\.\d+)?)(?:[eE][+-]?\d+)?$/;

/** A USD amount as the API takes it (docs/api.md §2): sent as the decimal string given, never through a float. */
function parseUsd(/** @type {string} */ value) {
  if (!USD_PATTERN.test(value) || value.length > 40)
    throw new InvalidArgumentError('expected a decimal USD amount such as 50 or 0.25');
  return value;
}

function parseWindow(/** @type {string} */ value) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 3600)
    throw new InvalidArgumentError('expected whole seconds, 1-3600');
  return n;
}

function parseLimit(/** @type {string} */ value) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

const CLEARABLE = ['month', 'day', 'run', 'velocity'];

function collectClear(/** @type {string} */ value, /** @type {string[] | undefined} */ previous) {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names)
    if (!CLEARABLE.includes(n)) throw new InvalidArgumentError(`expected one of ${CLEARABLE.join(', ')}`);
  return [...(previous ?? []), ...names];
}

/**
 * The `limits` body of PATCH /v1/agents/{name}, or undefined when no option asks for a change.
 * @param {Record<string, any>} opts
 */
function limitsPatch(opts) {
  /** @type {Record<string, unknown>} */
  const limits = {};
  /** @type {string[]} */
  const clear = opts.clear ?? [];
  const hasVelocity = opts.velocityUsd !== undefined || opts.velocityWindow !== undefined;
  if (hasVelocity && (opts.velocityUsd === undefined || opts.velocityWindow === undefined))
    throw new UsageError('--velocity-usd and --velocity-window go together');
  /** @type {[string, unknown][]} */
  const wanted = [
    ['month', opts.monthUsd],
    ['day', opts.dayUsd],
    ['run', opts.runUsd],
    ['velocity', hasVelocity ? true : undefined],
  ];
  for (const [period, value] of wanted) {
    if (value !== undefined && clear.includes(period))
      throw new UsageError(`--clear ${period} and a new ${period} limit contradict each other`);
  }
  if (opts.monthUsd !== undefined) limits.month_usd = opts.monthUsd;
  if (opts.dayUsd !== undefined) limits.day_usd = opts.dayUsd;
  if (opts.runUsd !== undefined) limits.run_usd = opts.runUsd;
  if (hasVelocity) limits.velocity = { window_seconds: opts.velocityWindow, max_usd: opts.velocityUsd };
  for (const period of clear) limits[period === 'velocity' ? 'velocity' : `${period}_usd`] = null;
  return Object.keys(limits).length === 0 ? undefined : limits;
}

// -------------------------------------------------------------------------------------------------------- output

/** @param {any} agent @param {ReturnType<typeof palette>} c */
function statusText(agent, c) {
  return agent.status === 'suspended'
    ? c.red(`suspended (${agent.suspended_reason})`)
    : c.green(agent.status);
}

/** "$1.20 / $50.00", or just the spend when there is no limit. */
function spentOf(/** @type {number} */ spent, /** @type {number | null | undefined} */ limit) {
  return limit === null || limit === undefined ? `${usd(spent)} / -` : `${usd(spent)} / ${usd(limit)}`;
}

/** @param {any[]} agents @param {ReturnType<typeof palette>} colours */
function agentsTable(agents, colours) {
  return table(
    [
      { header: 'NAME', value: (a) => a.name },
      {
        header: 'STATUS',
        value: (a) => (a.status === 'suspended' ? `suspended (${a.suspended_reason})` : a.status),
        colour: (text, a) => (a.status === 'suspended' ? colours.red(text) : colours.green(text)),
      },
      { header: 'MONTH', align: 'right', value: (a) => spentOf(a.spend.month_micros, a.limits.month_micros) },
      { header: 'DAY', align: 'right', value: (a) => spentOf(a.spend.day_micros, a.limits.day_micros) },
      {
        header: 'VELOCITY',
        align: 'right',
        value: (a) =>
          a.limits.velocity
            ? `${spentOf(a.spend.velocity_micros, a.limits.velocity.max_micros)} per ${a.limits.velocity.window_seconds}s`
            : '-',
      },
      { header: 'RUN LIMIT', align: 'right', value: (a) => usdOrDash(a.limits.run_micros) },
      { header: 'LAST EVENT', value: (a) => a.last_event_at ?? '-' },
    ],
    agents,
    colours,
  );
}

function usdOrDash(/** @type {number | null | undefined} */ micros) {
  return micros === null || micros === undefined ? '-' : usd(micros);
}

/** @param {any} agent @param {ReturnType<typeof palette>} c */
function limitsLines(agent, c) {
  const l = agent.limits;
  const rows = [
    ['Month', l.month_micros === null ? 'no limit' : usd(l.month_micros)],
    ['Day', l.day_micros === null ? 'no limit' : usd(l.day_micros)],
    ['Run', l.run_micros === null ? 'no limit' : `${usd(l.run_micros)} per run`],
    [
      'Velocity',
      l.velocity === null ? 'no limit' : `${usd(l.velocity.max_micros)} per ${l.velocity.window_seconds} s`,
    ],
    [
      'Repeats',
      l.repeats ? `at most ${l.repeats.max} per ${l.repeats.window_seconds} s (one fingerprint)` : 'no limit',
    ],
    ['Status', statusText(agent, c)],
  ];
  return keyValues(rows, c);
}

/** @param {[string, string][] | string[][]} rows @param {ReturnType<typeof palette>} c */
function keyValues(rows, c) {
  const width = Math.max(...rows.map((r) => (r[0] ?? '').length));
  return rows.map(([k, v]) => `${c.bold((k ?? '').padEnd(width))}  ${v}\n`).join('');
}

/** @param {any} a @param {ReturnType<typeof palette>} c */
function agentDetails(a, c) {
  const l = a.limits;
  const against = (/** @type {number} */ spent, /** @type {number | null} */ limit) =>
    limit === null ? `${usd(spent)} (no limit)` : `${usd(spent)} of ${usd(limit)}`;
  /** @type {string[][]} */
  const rows = [
    ['Agent', `${a.name} (${a.id})`],
    ['Status', statusText(a, c)],
  ];
  if (a.status === 'suspended') {
    rows.push(['Suspended at', a.suspended_at ?? '-']);
    if (a.suspended_period) rows.push(['Broke', `the ${a.suspended_period} limit`]);
    rows.push(['Lifts', a.resumes_at ? `by itself at ${a.resumes_at}` : 'only by spendguard resume']);
    if (a.suspended_note) rows.push(['Note', a.suspended_note]);
  }
  rows.push(
    ['Month', against(a.spend.month_micros, l.month_micros)],
    ['Day', against(a.spend.day_micros, l.day_micros)],
    [
      'Velocity',
      l.velocity
        ? `${against(a.spend.velocity_micros, l.velocity.max_micros)} within ${l.velocity.window_seconds} s`
        : `${usd(a.spend.velocity_micros)} (no limit)`,
    ],
    ['Run limit', l.run_micros === null ? 'no limit' : `${usd(l.run_micros)} per run`],
    ['Repeats', l.repeats ? `at most ${l.repeats.max} per ${l.repeats.window_seconds} s` : 'no limit'],
    ['Created', `${a.created_at}${a.auto_created ? ' (created by its first event)' : ''}`],
    ['Last event', a.last_event_at ?? '-'],
  );
  if (a.archived_at) rows.push(['Archived', a.archived_at]);
  return keyValues(rows, c);
}

/** @param {any[]} events @param {ReturnType<typeof palette>} colours */
function eventsTable(events, colours) {
  return table(
    [
      { header: 'RECORDED', value: (e) => e.recorded_at },
      { header: 'AGENT', value: (e) => e.agent },
      {
        header: 'STATUS',
        value: (e) => e.status,
        colour: (text, e) => (e.status === 'declined' ? colours.red(text) : colours.green(text)),
      },
      { header: 'COST', align: 'right', value: (e) => usd(e.cost_micros) },
      { header: 'DECLINED FOR', value: (e) => e.decline_code ?? '' },
      { header: 'RUN', value: (e) => e.run ?? '' },
      { header: 'ID', value: (e) => e.id },
    ],
    events,
    colours,
  );
}

/** One `tail` line. @param {any} e @param {ReturnType<typeof palette>} c */
function eventLine(e, c) {
  const status = e.status === 'declined' ? c.red(`declined (${e.decline_code})`) : c.green('accepted');
  const run = e.run ? `  run=${e.run}` : '';
  return `${e.recorded_at}  ${e.agent}  ${status}  ${usd(e.cost_micros)}${run}  ${c.dim(e.id)}`;
}

// ---------------------------------------------------------------------------------------------------------- tail

/**
 * Polls GET /v1/events every TAIL_INTERVAL_MS and prints the events not seen before, oldest first, until SIGINT or
 * SIGTERM. (The live stream of docs/api.md §9 carries spend totals, agent changes and declines, but not accepted
 * events, so it cannot feed a tail of every event.) Transient failures (503, network) are reported once and retried;
 * other refusals end the tail with exit code 1.
 * @param {ReturnType<typeof createClient>} api
 * @param {{ agent?: string, status?: string }} filters
 * @param {(event: any) => void} print
 */
async function tail(api, filters, print) {
  let stopped = false;
  /** @type {() => void} */
  let wake = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  /** @type {Map<string, number>} id → recorded_at (ms) */
  const seen = new Map();
  /** @type {number | null} */
  let newest = null;
  const remember = (/** @type {any[]} */ events) => {
    for (const e of events) {
      const t = Date.parse(e.recorded_at);
      seen.set(e.id, t);
      if (newest === null || t > newest) newest = t;
    }
    if (newest !== null) for (const [id, t] of seen) if (t < newest - 2 * TAIL_OVERLAP_MS) seen.delete(id);
  };
  try {
    // What exists already is not printed: only what is recorded from now on.
    remember(await api.list('/v1/events', filters, 100));
    let failing = false;
    while (!stopped) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, TAIL_INTERVAL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve(undefined);
        };
      });
      if (stopped) break;
      try {
        const from = newest === null ? undefined : new Date(newest - TAIL_OVERLAP_MS).toISOString();
        // Without a known newest event, one page: everything on it is new. With one, every page since.
        const events = await api.list('/v1/events', { ...filters, from }, newest === null ? 100 : 5_000);
        const fresh = events
          .filter((e) => !seen.has(e.id))
          .sort((a, b) => Date.parse(a.recorded_at) - Date.parse(b.recorded_at) || (a.id < b.id ? -1 : 1));
        remember(fresh);
        for (const e of fresh) print(e);
        if (failing) process.stderr.write('spendguard: reading events again\n');
        failing = false;
      } catch (error) {
        const transient =
          error instanceof UnreachableError ||
          (error instanceof ApiError && (error.status === 503 || error.status >= 500));
        if (!transient) throw error;
        if (!failing) process.stderr.write(`spendguard: ${error.message}; retrying\n`);
        failing = true;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
