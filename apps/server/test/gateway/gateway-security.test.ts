// The gateway's security model (docs/api.md §12): an upstream that is private — reached through a name that resolves
// to loopback, as after DNS rebinding, or through a redirect — is never called without SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS;
// the provider key and the prompt never reach a log line, even at trace level; gateway calls show in /metrics.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import pino from 'pino';
import { startLLMUpstream as startSecondUpstream } from '../../../../packages/sdk/test/support/llm-upstream.js';
import { sql } from '../engine/helpers.js';
import { api, signupAndAdminKey, startTestServer, type TestServer } from '../harness.js';
import {
  ALLOW_PRIVATE,
  eventsOf,
  eventsSettled,
  type GatewayTenant,
  gatewayTenant,
  type LLMUpstream,
  OPENAI_KEY,
  openAIThrough,
  startLLMUpstream,
} from './helpers.js';

const SECRET_PROMPT = 'the-launch-codes-are-7f3a9c';
const METRICS_TOKEN = 'metrics-token-for-the-gateway-test';
const question = [{ role: 'user' as const, content: `Repeat this: ${SECRET_PROMPT}` }];

describe('gateway: private upstreams refused without the flag', () => {
  let server: TestServer;
  let upstream: LLMUpstream;
  before(async () => {
    upstream = await startLLMUpstream();
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('a base_url to loopback or a private address is refused when it is stored', async () => {
    const t = await signupAndAdminKey(server.url);
    for (const base_url of [
      `${upstream.url}/v1`,
      'https://127.0.0.1/v1',
      'https://10.0.0.5/v1',
      'https://localhost/v1',
    ]) {
      const put = await api(server.url, '/v1/providers/openai', {
        method: 'PUT',
        key: t.adminKey,
        body: { api_key: OPENAI_KEY, base_url },
      });
      assert.equal(put.status, 400, `${base_url}: ${JSON.stringify(put.body)}`);
    }
    const list = await api(server.url, '/v1/providers', { key: t.adminKey });
    assert.deepEqual(list.body.data, [], 'nothing was stored');
  });

  it('a stored name that now resolves to loopback: 502 in the wire format, zero upstream connections, no charge', async () => {
    const allowing = await startTestServer({ databaseUrl: server.databaseUrl, env: ALLOW_PRIVATE });
    let tenant: GatewayTenant;
    try {
      tenant = await gatewayTenant(allowing, upstream);
    } finally {
      await allowing.close();
    }
    const port = new URL(upstream.url).port;
    await sql(
      server.databaseUrl as string,
      `UPDATE provider_credentials SET base_url = $1 WHERE customer_id = $2`,
      [`https://localhost:${port}/v1`, tenant.customerId],
    );
    const calls = upstream.requests.length;
    await assert.rejects(
      openAIThrough(server, tenant.ingestKey).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
      }),
      (e) => {
        assert.ok(e instanceof OpenAI.APIError, String(e));
        assert.equal(e.status, 502);
        assert.equal(e.code, 'upstream_unreachable');
        assert.match(e.message, /private, loopback or reserved/);
        return true;
      },
    );
    assert.equal(upstream.requests.length, calls, 'the private upstream got no request');
    assert.equal((await eventsOf(server, tenant, tenant.agent)).length, 0, 'nothing charged');
    const held = await api(server.url, `/v1/reservations?agent=${tenant.agent}&status=held`, {
      key: tenant.adminKey,
    });
    assert.equal(held.body.data.length, 0, 'the hold was released');
  });
});

describe('gateway: redirects, logs and metrics', () => {
  let server: TestServer;
  let upstream: LLMUpstream;
  let elsewhere: LLMUpstream;
  let t: GatewayTenant;
  let captured = '';
  before(async () => {
    upstream = await startLLMUpstream();
    elsewhere = await startSecondUpstream();
    const stream = new Writable({
      write(chunk, _encoding, done) {
        captured += chunk.toString();
        done();
      },
    });
    server = await startTestServer({
      env: { ...ALLOW_PRIVATE, SPENDGUARD_METRICS_TOKEN: METRICS_TOKEN },
      logger: pino({ level: 'trace' }, stream),
    });
    t = await gatewayTenant(server, upstream);
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await elsewhere.close();
  });

  it('a redirect from the provider is not followed: the target gets nothing and the hold is released', async () => {
    upstream.script({ redirectTo: `${elsewhere.url}/v1/chat/completions` });
    await assert.rejects(
      openAIThrough(server, t.ingestKey).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
      }),
      (e) => e instanceof OpenAI.APIError && e.status === 302,
    );
    assert.equal(elsewhere.requests.length, 0, 'the redirect target was never called');
    const held = await api(server.url, `/v1/reservations?agent=${t.agent}&status=held`, { key: t.adminKey });
    assert.equal(held.body.data.length, 0);
  });

  it('the provider key, the Spendguard key and the prompt never reach a log line; one line per call has cost and tokens', async () => {
    const client = openAIThrough(server, t.ingestKey);
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: question });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: question,
      stream: true,
    });
    for await (const _chunk of stream) {
      // drain
    }
    await eventsSettled(server, t, t.agent, 2);
    assert.ok(captured.length > 0, 'logs were captured');
    for (const secret of [OPENAI_KEY, t.ingestKey, SECRET_PROMPT]) {
      assert.ok(!captured.includes(secret), `${secret.slice(0, 12)}… appeared in the logs`);
    }
    const calls = captured
      .split('\n')
      .filter((line) => line.includes('"gateway call"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const committed = calls.filter((c) => typeof c.cost_micros === 'number');
    assert.ok(committed.length >= 2, `gateway call lines: ${JSON.stringify(calls)}`);
    assert.ok(committed.every((c) => c.model === 'gpt-4o-mini' && typeof c.output_tokens === 'number'));
  });

  it('/metrics counts gateway calls by provider, model and status, with added latency and upstream time to first byte', async () => {
    const metrics = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    }).then((r) => r.text());
    assert.match(
      metrics,
      /spendguard_gateway_requests_total\{provider="openai",model="gpt-4o-mini",status="200"\} [1-9]/,
    );
    assert.match(
      metrics,
      /spendguard_gateway_added_latency_seconds_count\{provider="openai",phase="response"\} [1-9]/,
    );
    assert.match(
      metrics,
      /spendguard_gateway_added_latency_seconds_count\{provider="openai",phase="first_byte"\} [1-9]/,
    );
    assert.match(
      metrics,
      /spendguard_gateway_upstream_time_to_first_byte_seconds_count\{provider="openai"\} [1-9]/,
    );
    assert.match(metrics, /spendguard_gateway_stream_ends_total\{provider="openai",end="completed"\} [1-9]/);
  });
});
