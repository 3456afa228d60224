// The `spendguard` binary (SPEC §15) run as a child process against a real server (PostgreSQL + Redis): every
// command, --json, events --csv parsed back, the exit codes (0 done, 1 refused/failed/unreachable, 2 bad usage), the
// key never printed, and tail showing a new event within a second and ending with 0 on Ctrl-C.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  api,
  freePort,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
  type TestServer,
} from '../../../apps/server/test/harness.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'spendguard.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every output of every run, to check at the end that no key ever shows. */
const outputs: string[] = [];

function baseEnv(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

function run(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: baseEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A minimal RFC 4180 reader, to parse `events --csv` back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  assert.equal(field, '', 'the CSV ends with CRLF');
  return rows;
}

describe('spendguard command line', () => {
  let server: TestServer;
  let t: Tenant;
  let env: Record<string, string>;
  let n = 0;

  const postEvent = async (agent: string, body: Record<string, unknown> = {}, idempotencyKey?: string) => {
    const res = await api(server.url, '/v1/events', {
      key: t.adminKey,
      headers: { 'idempotency-key': idempotencyKey ?? `cli-test-${++n}` },
      body: { agent, ...('cost_micros' in body ? {} : { cost_usd: '0.0123' }), ...body },
    });
    return res;
  };

  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
    env = { SPENDGUARD_URL: server.url, SPENDGUARD_API_KEY: t.adminKey };
    assert.equal((await postEvent('alpha', { run: 'task-1' })).status, 201);
    assert.equal((await postEvent('beta')).status, 201);
  });
  after(async () => {
    await server?.close();
    for (const text of outputs) assert.ok(!text.includes(t.adminKey), 'the API key never shows');
  });

  it('--help works without a key, for the program and each command', async () => {
    const top = await run(['--help'], {});
    assert.equal(top.code, 0);
    for (const command of ['agents', 'agent', 'kill', 'resume', 'limits', 'events', 'tail'])
      assert.match(top.stdout, new RegExp(`\\n  ${command} `));
    const limits = await run(['limits', '--help'], {});
    assert.equal(limits.code, 0);
    assert.match(limits.stdout, /--month-usd <usd>/);
    assert.match(limits.stdout, /--clear <limit>/);
    const version = await run(['--version'], {});
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it('agents: a table, and --json an array of the API objects', async () => {
    const table = await run(['agents'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+STATUS\s+MONTH\s+DAY\s+VELOCITY\s+RUN LIMIT\s+LAST EVENT$/);
    assert.match(lines[1] ?? '', /^alpha\s+active\s+\$0\.0123 \/ -/);
    assert.match(lines[2] ?? '', /^beta\s+active/);
    assert.ok(!table.stdout.includes('\u001b['), 'no colours when stdout is not a TTY');
    const json = await run(['agents', '--json'], env);
    assert.equal(json.code, 0);
    const agents = JSON.parse(json.stdout);
    assert.ok(Array.isArray(agents));
    assert.deepEqual(
      agents.map((a: { name: string }) => a.name),
      ['alpha', 'beta'],
    );
    assert.equal(agents[0].spend.month_micros, 12300);
  });

  it('agent <name>: details, --json the object; an unknown agent exits 1 with the API error', async () => {
    const details = await run(['agent', 'alpha'], env);
    assert.equal(details.code, 0, details.stderr);
    assert.match(details.stdout, /Agent\s+alpha \(agt_/);
    assert.match(details.stdout, /Status\s+active/);
    assert.match(details.stdout, /Month\s+\$0\.0123 \(no limit\)/);
    const json = await run(['agent', 'alpha', '--json'], env);
    assert.equal(JSON.parse(json.stdout).name, 'alpha');
    const unknown = await run(['agent', 'nobody'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found/);
    assert.equal(unknown.stdout, '');
  });

  it('kill --note suspends (events declined), resume lifts it', async () => {
    const kill = await run(['kill', 'alpha', '--note', 'looping, "badly"'], env);
    assert.equal(kill.code, 0, kill.stderr);
    assert.match(kill.stdout, /Suspended alpha/);
    const read = await api(server.url, '/v1/agents/alpha', { key: t.adminKey });
    assert.equal(read.body.status, 'suspended');
    assert.equal(read.body.suspended_reason, 'manual');
    assert.equal(read.body.suspended_note, 'looping, "badly"');
    const declined = await postEvent('alpha');
    assert.equal(declined.status, 403);
    assert.equal(declined.body.error.code, 'agent_suspended');
    const shown = await run(['agent', 'alpha'], env);
    assert.match(shown.stdout, /Status\s+suspended \(manual\)/);
    assert.match(shown.stdout, /Note\s+looping, "badly"/);

    const resume = await run(['resume', 'alpha', '--json'], env);
    assert.equal(resume.code, 0, resume.stderr);
    assert.equal(JSON.parse(resume.stdout).status, 'active');
    assert.equal((await postEvent('alpha')).status, 201);
    const again = await run(['resume', 'alpha'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Resumed alpha: status active/);

    const unknown = await run(['kill', 'nobody'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found/);
  });

  it('limits: set, show, clear; contradictory or malformed options are bad usage', async () => {
    const set = await run(
      [
        'limits',
        'beta',
        '--month-usd',
        '50',
        '--day-usd',
        '5.5',
        '--run-usd',
        '0.25',
        '--velocity-usd',
        '2',
        '--velocity-window',
        '60',
      ],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Month\s+\$50\.00/);
    assert.match(set.stdout, /Velocity\s+\$2\.00 per 60 s/);
    let read = await api(server.url, '/v1/agents/beta', { key: t.adminKey });
    assert.deepEqual(
      {
        month: read.body.limits.month_micros,
        day: read.body.limits.day_micros,
        run: read.body.limits.run_micros,
        velocity: read.body.limits.velocity,
      },
      {
        month: 50_000_000,
        day: 5_500_000,
        run: 250_000,
        velocity: { window_seconds: 60, max_micros: 2_000_000 },
      },
    );

    const show = await run(['limits', 'beta', '--json'], env);
    assert.equal(show.code, 0);
    assert.equal(JSON.parse(show.stdout).limits.day_micros, 5_500_000);

    const clear = await run(['limits', 'beta', '--clear', 'day', '--clear', 'velocity,run'], env);
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /Day\s+no limit/);
    read = await api(server.url, '/v1/agents/beta', { key: t.adminKey });
    assert.equal(read.body.limits.month_micros, 50_000_000);
    assert.equal(read.body.limits.day_micros, null);
    assert.equal(read.body.limits.run_micros, null);
    assert.equal(read.body.limits.velocity, null);

    for (const bad of [
      ['limits', 'beta', '--velocity-usd', '2'],
      ['limits', 'beta', '--month-usd', 'abc'],
      ['limits', 'beta', '--month-usd', '-1'],
      ['limits', 'beta', '--velocity-usd', '2', '--velocity-window', '0'],
      ['limits', 'beta', '--clear', 'week'],
      ['limits', 'beta', '--clear', 'month', '--month-usd', '3'],
    ]) {
      const r = await run(bad, env);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error/);
    }
    read = await api(server.url, '/v1/agents/beta', { key: t.adminKey });
    assert.equal(read.body.limits.month_micros, 50_000_000, 'bad usage changes nothing');
    // A value the API refuses (above 1e9 USD) is the API's refusal: exit 1 with its code.
    const refused = await run(['limits', 'beta', '--month-usd', '1e10'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /invalid_request/);
  });

  it('events: table, filters, --limit across pages, --json', async () => {
    const table = await run(['events', '--agent', 'alpha'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^RECORDED\s+AGENT\s+STATUS\s+COST\s+DECLINED FOR\s+RUN\s+ID$/);
    assert.equal(lines.length, 4, table.stdout); // header + 2 accepted + 1 declined
    const declined = await run(['events', '--status', 'declined', '--json'], env);
    const events = JSON.parse(declined.stdout);
    assert.equal(events.length, 1);
    assert.equal(events[0].decline_code, 'agent_suspended');
    const limited = await run(['events', '--limit', '2', '--json'], env);
    assert.equal(JSON.parse(limited.stdout).length, 2);
    for (let i = 0; i < 105; i++) assert.equal((await postEvent('gamma', { cost_micros: i })).status, 201);
    const many = await run(['events', '--agent', 'gamma', '--limit', '103', '--json'], env);
    assert.equal(many.code, 0, many.stderr);
    const got = JSON.parse(many.stdout);
    assert.equal(got.length, 103, 'two pages');
    assert.equal(new Set(got.map((e: { id: string }) => e.id)).size, 103);
    const bad = await run(['events', '--status', 'maybe'], env);
    assert.equal(bad.code, 2);
    const both = await run(['events', '--json', '--csv'], env);
    assert.equal(both.code, 2);
  });

  it('events --csv: a header starting with id, fields with commas, quotes and newlines quoted', async () => {
    const metadata = { note: 'a, "quoted"\nline', n: 1 };
    const posted = await postEvent('delta', { metadata, run: 'r-1' }, 'key, with "quotes"');
    assert.equal(posted.status, 201);
    const res = await run(['events', '--agent', 'delta', '--csv'], env);
    assert.equal(res.code, 0, res.stderr);
    const rows = parseCsv(res.stdout);
    assert.deepEqual(rows[0], [
      'id',
      'recorded_at',
      'occurred_at',
      'agent',
      'status',
      'decline_code',
      'cost_micros',
      'cost_usd',
      'run',
      'idempotency_key',
      'reservation_id',
      'metadata',
    ]);
    assert.equal(rows.length, 2);
    const row = Object.fromEntries((rows[0] ?? []).map((h, i) => [h, rows[1]?.[i]]));
    assert.equal(row.id, posted.body.event.id);
    assert.equal(row.agent, 'delta');
    assert.equal(row.status, 'accepted');
    assert.equal(row.decline_code, '');
    assert.equal(row.cost_micros, '12300');
    assert.equal(row.cost_usd, '0.012300');
    assert.equal(row.run, 'r-1');
    assert.equal(row.idempotency_key, 'key, with "quotes"');
    assert.equal(row.reservation_id, '');
    assert.deepEqual(JSON.parse(row.metadata ?? ''), metadata);
  });

  it('exit codes: bad key 1, missing key 2, unknown option 2, missing argument 2, unreachable 1', async () => {
    const wrongKey = `sg_admin_${'x'.repeat(40)}`;
    const badKey = await run(['agents'], { SPENDGUARD_URL: server.url, SPENDGUARD_API_KEY: wrongKey });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /unauthenticated/);
    assert.ok(!badKey.stderr.includes(wrongKey) && !badKey.stdout.includes(wrongKey));

    const noKey = await run(['agents'], { SPENDGUARD_URL: server.url });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /SPENDGUARD_API_KEY/);

    const unknownOption = await run(['agents', '--bogus'], env);
    assert.equal(unknownOption.code, 2);
    assert.match(unknownOption.stderr, /unknown option/);

    const missingArgument = await run(['agent'], env);
    assert.equal(missingArgument.code, 2);
    assert.match(missingArgument.stderr, /missing required argument/);

    const unknownCommand = await run(['frobnicate'], env);
    assert.equal(unknownCommand.code, 2);

    const port = await freePort();
    const unreachable = await run(['agents'], { ...env, SPENDGUARD_URL: `http://127.0.0.1:${port}` });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach/);

    const badUrl = await run(['agents'], { ...env, SPENDGUARD_URL: 'not a url' });
    assert.equal(badUrl.code, 2);

    // An ingest key may not list agents: the API's 403, exit 1.
    const ingest = await api(server.url, '/v1/api-keys', {
      key: t.adminKey,
      body: { name: 'ingest', kind: 'ingest' },
    });
    const forbidden = await run(['agents'], { ...env, SPENDGUARD_API_KEY: ingest.body.key });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /forbidden/);
    assert.ok(!forbidden.stderr.includes(ingest.body.key));
  });

  for (const json of [false, true]) {
    it(`tail${json ? ' --json' : ''} shows a new event within 1 s and exits 0 on Ctrl-C`, async () => {
      const agent = json ? 'tail-json' : 'tail-text';
      const child = spawn(process.execPath, [BIN, 'tail', '--agent', agent, ...(json ? ['--json'] : [])], {
        env: baseEnv(env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let onData = () => {};
      child.stdout.on('data', (d) => {
        stdout += d;
        onData();
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      try {
        // An event before tail has started is history, not printed; give the binary time to start.
        assert.equal((await postEvent(agent, { run: 'old' })).status, 201);
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(stdout, '', 'existing events are not printed');

        for (const i of [1, 2]) {
          const started = Date.now();
          const appeared = new Promise<void>((resolve) => {
            onData = () => {
              if (stdout.includes(`run-${i}`)) resolve();
            };
          });
          await postEvent('someone-else', { run: `run-${i}` }); // another agent: filtered out
          const posted = await postEvent(agent, { run: `run-${i}` });
          assert.equal(posted.status, 201);
          await Promise.race([appeared, new Promise((r) => setTimeout(r, 3000))]);
          const took = Date.now() - started;
          assert.ok(stdout.includes(`run-${i}`), `event ${i} shown; stdout: ${stdout} stderr: ${stderr}`);
          assert.ok(took < 1000, `event ${i} shown after ${took} ms`);
        }
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 0, stderr);
      outputs.push(stdout, stderr);
      const lines = stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2, stdout);
      if (json) {
        const events = lines.map((l) => JSON.parse(l));
        assert.deepEqual(
          events.map((e) => [e.agent, e.run, e.cost_micros]),
          [
            [agent, 'run-1', 12300],
            [agent, 'run-2', 12300],
          ],
        );
      } else {
        assert.match(lines[0] ?? '', new RegExp(`^\\S+Z  ${agent}  accepted  \\$0\\.0123  run=run-1  evt_`));
      }
    });
  }
});
