// GET /metrics (docs/api.md §10): off unless a token is configured, token-checked, and its counters move with traffic.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bearerMatches } from '../../src/routes/metrics.js';
import { api, signupAndAdminKey, startTestServer, type TestServer } from '../harness.js';

const TOKEN = 'metrics-token-for-tests-0123456789';

/** Value of one sample line, e.g. `spendguard_http_request_duration_seconds_count{method="GET",...}`; 0 if absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    // A metric without labels prints as `name value`.
    if (line.startsWith(`${name} `) && Object.keys(labels).length === 0)
      return Number(line.slice(name.length + 1));
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const ok = Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('/metrics without SPENDGUARD_METRICS_TOKEN', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('is absent: 404 not_found exactly like an unknown path, even with a bearer token', async () => {
    const res = await api(server.url, '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    const unknown = await api(server.url, '/no-such-path');
    assert.deepEqual(res.body, unknown.body);
    assert.doesNotMatch(JSON.stringify(res.body), /spendguard_/);
  });
});

describe('/metrics with SPENDGUARD_METRICS_TOKEN', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await server.close();
  });

  it('refuses a missing, wrong, or non-bearer credential with 401 unauthenticated and no metrics', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token-wrong-token-00',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      'Bearer ',
    ]) {
      const res = await api(server.url, '/metrics', authorization ? { headers: { authorization } } : {});
      assert.equal(res.status, 401, `authorization ${String(authorization)}`);
      assert.equal(res.body.error.code, 'unauthenticated');
      assert.doesNotMatch(JSON.stringify(res.body), /spendguard_/);
    }
  });

  it('exports every metric the Grafana dashboard queries', async () => {
    const dashboard = readFileSync(
      join(import.meta.dirname, '../../../../docs/grafana-dashboard.json'),
      'utf8',
    );
    const names = new Set(
      [...dashboard.matchAll(/spendguard_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    );
    assert.ok(names.size >= 10, `only ${names.size} metric names found in the dashboard`);
    const text = await scrape(server.url);
    for (const name of names)
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `dashboard uses unknown ${name}`);
  });

  it('is not in the OpenAPI document', async () => {
    const doc = await api(server.url, '/openapi.json');
    assert.equal(doc.body.paths['/metrics'], undefined);
  });

  it('serves Prometheus text whose request counters move by route pattern and status', async () => {
    const before = await scrape(server.url);
    const healthBefore = sample(before, 'spendguard_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/healthz',
      status: '200',
    });
    const missBefore = sample(before, 'spendguard_http_request_duration_seconds_count', {
      route: 'unmatched',
      status: '404',
    });
    for (let i = 0; i < 3; i++) assert.equal((await api(server.url, '/healthz')).status, 200);
    assert.equal((await api(server.url, '/no-such-path/abc123')).status, 404);
    assert.equal((await api(server.url, '/another-missing-path')).status, 404);

    const afterText = await scrape(server.url);
    const healthAfter = sample(afterText, 'spendguard_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/healthz',
      status: '200',
    });
    const missAfter = sample(afterText, 'spendguard_http_request_duration_seconds_count', {
      route: 'unmatched',
      status: '404',
    });
    assert.equal(healthAfter - healthBefore, 3);
    assert.equal(missAfter - missBefore, 2);
    // The raw URL never becomes a label (ids in paths would explode the series count).
    assert.doesNotMatch(afterText, /abc123/);
    // Every metric the operations guide documents is exported.
    for (const name of [
      'spendguard_http_request_duration_seconds_bucket',
      'spendguard_process_resident_memory_bytes',
      'spendguard_nodejs_eventloop_lag_p99_seconds',
      '# TYPE spendguard_events_total counter',
      '# TYPE spendguard_decision_duration_seconds histogram',
      '# TYPE spendguard_commit_duration_seconds histogram',
      '# TYPE spendguard_commit_batch_size histogram',
      '# TYPE spendguard_store_errors_total counter',
      '# TYPE spendguard_open_holds gauge',
    ]) {
      assert.ok(afterText.includes(name), `missing ${name}`);
    }
  });
});

describe('/metrics while events flow', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await server.close();
  });

  it('counts accepted and declined events, decision latency, commits and batch sizes', async () => {
    const tenant = await signupAndAdminKey(server.url);
    const created = await api(server.url, '/v1/agents', {
      body: { name: 'metered', limits: { month_micros: 10_000 } },
      key: tenant.adminKey,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const before = await scrape(server.url);
    const post = (key: string, cost: number) =>
      api(server.url, '/v1/events', {
        body: { agent: 'metered', cost_micros: cost },
        key: tenant.adminKey,
        headers: { 'idempotency-key': key },
      });
    for (let i = 0; i < 4; i++) assert.equal((await post(`m-${i}`, 1_000)).status, 201);
    const declined = await post('m-over', 1_000_000);
    assert.equal(declined.status, 403);
    assert.equal(declined.body.error.code, 'budget_exceeded');
    const replay = await post('m-0', 1_000);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');

    const text = await scrape(server.url);
    const delta = (name: string, labels: Record<string, string>) =>
      sample(text, name, labels) - sample(before, name, labels);
    assert.equal(delta('spendguard_events_total', { kind: 'event', outcome: 'accepted' }), 4);
    assert.ok(
      delta('spendguard_events_total', { kind: 'event', outcome: 'declined', code: 'budget_exceeded' }) >= 1,
    );
    assert.ok(delta('spendguard_decision_duration_seconds_count', {}) >= 5);
    const commits =
      sample(text, 'spendguard_commit_batch_size_sum', {}) -
      sample(before, 'spendguard_commit_batch_size_sum', {});
    assert.ok(commits >= 4, `batch rows committed: ${commits}`);
    assert.equal(
      delta('spendguard_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/events',
        status: '201',
      }),
      5,
    );
  });
});

describe('/metrics open holds', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: { SPENDGUARD_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await server.close();
  });

  it('reports reservations held right now, read from PostgreSQL at scrape time', async () => {
    const tenant = await signupAndAdminKey(server.url);
    assert.equal(sample(await scrape(server.url), 'spendguard_open_holds', {}), 0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const held = await api(server.url, '/v1/reservations', {
        body: { agent: 'holder', amount_micros: 1_000, ttl_seconds: 600 },
        key: tenant.adminKey,
        headers: { 'idempotency-key': `hold-${i}` },
      });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      ids.push(held.body.reservation.id);
    }
    assert.equal(sample(await scrape(server.url), 'spendguard_open_holds', {}), 3);
    const released = await api(server.url, `/v1/reservations/${ids[0]}/release`, {
      body: {},
      key: tenant.adminKey,
      headers: { 'idempotency-key': 'release-0' },
    });
    assert.equal(released.status, 200, JSON.stringify(released.body));
    const committed = await api(server.url, `/v1/reservations/${ids[1]}/commit`, {
      body: { cost_micros: 900 },
      key: tenant.adminKey,
      headers: { 'idempotency-key': 'commit-1' },
    });
    assert.equal(committed.status, 201, JSON.stringify(committed.body));
    assert.equal(sample(await scrape(server.url), 'spendguard_open_holds', {}), 1);
  });
});

describe('bearerMatches', () => {
  it('accepts only the exact token after "Bearer "', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(undefined, TOKEN), false);
    assert.equal(bearerMatches('Bearer ', TOKEN), false);
    assert.equal(bearerMatches(`Bearer  ${TOKEN}`, TOKEN), false);
    assert.equal(bearerMatches(`Bearer ${TOKEN} `, TOKEN), false);
    assert.equal(bearerMatches(TOKEN, TOKEN), false);
  });
});
