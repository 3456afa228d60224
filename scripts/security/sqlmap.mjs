// sqlmap against a freshly started server: login (public), and the hot path plus filters with an API key.
// Passes only if sqlmap ran every target to the end, reported no injection point, and the server's own request
// log shows the probes reached the handlers (not just the rate limiter) without a single 500.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './server.mjs';

function which(command) {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** sqlmap comes from Debian's packages; install it when missing and we are allowed to (root with apt-get). */
export function ensureSqlmap(log) {
  let path = which('sqlmap');
  if (path) return path;
  if (process.getuid?.() === 0 && which('apt-get')) {
    log('sqlmap not found; installing it with apt-get (Debian package sqlmap)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 180_000 });
    spawnSync('apt-get', ['install', '-y', '-qq', 'sqlmap'], { stdio: 'ignore', env, timeout: 300_000 });
    path = which('sqlmap');
  }
  return path;
}

async function json(url, path, { body, headers = {}, method } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

async function seedTenant(url) {
  const email = `sqlmap-${Date.now()}@example.test`;
  const password = 'sqlmap-password-0123456789';
  const signup = await json(url, '/v1/auth/signup', { body: { email, password, company: 'Sqlmap Inc' } });
  if (signup.status !== 201)
    throw new Error(`signup answered ${signup.status}; are the auth routes in place?`);
  const cookie = (signup.headers.getSetCookie().find((c) => c.startsWith('sg_session=')) ?? '').split(';')[0];
  const key = await json(url, '/v1/api-keys', {
    body: { name: 'sqlmap admin', kind: 'admin' },
    headers: { cookie, 'x-csrf-token': signup.body.csrf_token },
  });
  if (key.status !== 201) throw new Error(`api key creation answered ${key.status}`);
  const event = await json(url, '/v1/events', {
    body: { agent: 'bot-1', cost_micros: 1 },
    headers: { authorization: `Bearer ${key.body.key}`, 'idempotency-key': 'sqlmap-seed-1' },
  });
  if (event.status !== 201)
    throw new Error(`seed event answered ${event.status}; is the events route in place?`);
  return { email, adminKey: key.body.key };
}

function targets(url, adminKey) {
  const auth = `Authorization: Bearer ${adminKey}`;
  return [
    {
      name: 'POST /v1/auth/login (email)',
      route: '/v1/auth/login',
      args: [
        '-u',
        `${url}/v1/auth/login`,
        '--data',
        '{"email":"*","password":"not-the-password-123"}',
        // Spread the probes over random client addresses (server started with SPENDGUARD_TRUST_PROXY=1)
        // so the brute-force limiter does not answer 429 instead of the handler.
        '--tamper',
        'xforwardedfor',
        // 401 is the handler's normal answer to a wrong login; without this sqlmap stops at the first one.
        '--ignore-code',
        '401',
      ],
    },
    {
      name: 'POST /v1/events (agent, run, metadata)',
      route: '/v1/events',
      args: [
        '-u',
        `${url}/v1/events`,
        '--data',
        '{"agent":"bot-1*","cost_micros":1,"run":"run-1*","metadata":{"note":"hello*"},"idempotency_key":"k"}',
        '--headers',
        auth,
        // A fresh idempotency key per probe; otherwise every probe after the first would be a 422 reuse.
        '--eval',
        'import uuid; idempotency_key = "sqlmap-" + str(uuid.uuid4())',
      ],
    },
    {
      name: 'GET /v1/events (agent, status filters)',
      route: '/v1/events',
      args: ['-u', `${url}/v1/events?agent=bot-1&status=accepted`, '-p', 'agent,status', '--headers', auth],
    },
    {
      name: 'GET /v1/reservations (agent, status filters)',
      route: '/v1/reservations',
      args: ['-u', `${url}/v1/reservations?agent=bot-1&status=held`, '-p', 'agent,status', '--headers', auth],
    },
    {
      name: 'GET /v1/agents/{name}',
      route: '/v1/agents/:name',
      args: ['-u', `${url}/v1/agents/bot-1*`, '--headers', auth],
    },
  ];
}

/** Counts the server's per-request log lines by route and status. */
function requestLog(output) {
  const counts = new Map();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line);
      if (entry.msg !== 'request') continue;
      const key = `${entry.route ?? 'unmatched'} ${entry.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a log line
    }
  }
  return counts;
}

export async function runSqlmap({ root, log }) {
  const sqlmap = ensureSqlmap(log);
  if (!sqlmap) {
    return {
      ok: false,
      detail: 'sqlmap is not installed and could not be installed (apt-get install sqlmap)',
    };
  }
  const server = await startServer({ root, env: { SPENDGUARD_TRUST_PROXY: '1' } });
  const findings = [];
  try {
    const { adminKey } = await seedTenant(server.url);
    const outputDir = mkdtempSync(join(tmpdir(), 'sg-sqlmap-'));
    for (const target of targets(server.url, adminKey)) {
      const started = Date.now();
      const run = spawnSync(
        sqlmap,
        [
          ...target.args,
          '--batch',
          '--level',
          '1',
          '--risk',
          '1',
          '--dbms',
          'PostgreSQL',
          '--timeout',
          '5',
          '--retries',
          '0',
          '--time-sec',
          '2',
          '--flush-session',
          '--disable-coloring',
          '--output-dir',
          outputDir,
          '--skip-waf',
        ],
        { encoding: 'utf8', timeout: 90_000, env: { ...process.env, HOME: outputDir } },
      );
      const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const injectable =
        /identified the following injection point|is vulnerable|appears to be injectable/i.test(
          out.replace(/do not appear to be injectable|does not seem to be injectable/gi, ''),
        );
      const finished = /do not appear to be injectable|does not seem to be injectable/i.test(out);
      const verdict = injectable ? 'INJECTABLE' : finished ? 'not injectable' : 'did not finish';
      log(`  sqlmap ${target.name}: ${verdict} (${seconds} s)`);
      findings.push({ target: target.name, route: target.route, verdict, tail: out.slice(-1500) });
    }
  } finally {
    await server.stop();
  }
  const counts = requestLog(server.output());
  const errors5xx = [...counts].filter(([key]) => / 5\d\d$/.test(key));
  const reached = (route) =>
    [...counts]
      .filter(([key]) => key.startsWith(`${route} `) && !/ (429|401|404)$/.test(key))
      .reduce((n, [, c]) => n + c, 0);
  const problems = [];
  for (const f of findings) {
    if (f.verdict !== 'not injectable') problems.push(`${f.target}: ${f.verdict}\n${f.tail}`);
  }
  if (errors5xx.length > 0) problems.push(`server answered 5xx: ${JSON.stringify(errors5xx)}`);
  const loginReached = [...counts]
    .filter(([key]) => key.startsWith('/v1/auth/login ') && !/ 429$/.test(key))
    .reduce((n, [, c]) => n + c, 0);
  if (loginReached < 20)
    problems.push(`only ${loginReached} login probes reached the handler (rate limited?)`);
  if (reached('/v1/events') < 20)
    problems.push(`only ${reached('/v1/events')} events probes reached the handler`);
  const summary = [...counts]
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  log(`  server saw: ${summary}`);
  return problems.length === 0
    ? { ok: true, detail: `${findings.length} targets, no injectable parameter, no 5xx` }
    : { ok: false, detail: problems.join('\n') };
}
