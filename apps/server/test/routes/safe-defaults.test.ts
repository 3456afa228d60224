// Safe by default (docs/api.md §8): a new customer's agents — one created on the fly by a typo included — start with a
// 10 USD monthly limit; the operator sets another default (or none) with SPENDGUARD_DEFAULT_AGENT_MONTH_USD; agents an
// event created are marked auto_created so the typo shows at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { CustomerSchema } from '../../src/schemas/agents.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type CustomerWithKeys,
  createAgent,
  customerWithKeys,
  expectError,
  expectStatus,
  getAgent,
  injectJson,
  postEvent,
} from './inject.js';

type CustomerJson = Static<typeof CustomerSchema>;

const TEN_USD = 10_000_000;

describe('a new customer, as the product starts it', () => {
  let server: TestServer;
  let c: CustomerWithKeys;
  before(async () => {
    server = await startTestServer({ embedded: true, productDefaults: true });
    c = await customerWithKeys(server.app);
  });
  after(() => server.close());

  it('has a 10 USD monthly default agent limit, shown by GET /v1/customer', async () => {
    const customer = expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
      200,
    ).body;
    assert.deepEqual(customer.default_agent_limits, {
      month_micros: TEN_USD,
      day_micros: null,
      run_micros: null,
      velocity: null,
      repeats: null,
    });
  });

  it('a typo in an agent name cannot spend 500 USD: the agent it creates has the 10 USD limit', async () => {
    // The report: research-bot had a 1 USD limit, research_bot (a typo) took 500 USD on a new, unlimited agent.
    await createAgent(server.app, c.admin.key, 'research-bot', { month_usd: '1' });
    const typo = await postEvent(server.app, { key: c.ingest.key }, { agent: 'research_bot', cost_usd: 500 });
    const error = expectError(typo, 403, 'budget_exceeded', 'the typo agent is over its default limit');
    assert.equal(error.period, 'month');
    assert.equal(error.limit_micros, TEN_USD);
    const created = await getAgent(server.app, c.admin.key, 'research_bot');
    assert.equal(created.auto_created, true, 'marked as created on the fly');
    assert.equal(created.limits.month_micros, TEN_USD);
    assert.equal(created.spend.month_micros, 0, 'nothing was counted');
  });

  it('an auto-created agent spends up to the default and not a micro-dollar more', async () => {
    const upTo = await postEvent(server.app, { key: c.ingest.key }, { agent: 'fresh-bot', cost_usd: '10' });
    expectStatus(upTo, 201, 'landing exactly on the limit is accepted');
    const over = await postEvent(server.app, { key: c.ingest.key }, { agent: 'fresh-bot', cost_micros: 1 });
    expectError(over, 403, 'budget_exceeded');
  });

  it('an agent a person created is not marked auto_created, and takes the default unless given a limit', async () => {
    const made = await createAgent(server.app, c.admin.key, 'planned-bot');
    assert.equal(made.auto_created, false);
    assert.equal(made.limits.month_micros, TEN_USD);
    const own = await createAgent(server.app, c.admin.key, 'big-bot', { month_usd: '200' });
    assert.equal(own.limits.month_micros, 200_000_000);
  });

  it('a customer who removes the default gets unlimited agents on the fly: a person chose that', async () => {
    const other = await customerWithKeys(server.app);
    expectStatus(
      await injectJson<CustomerJson>(server.app, '/v1/customer', {
        key: other.admin.key,
        method: 'PATCH',
        body: { default_agent_limits: { month_usd: null } },
      }),
      200,
    );
    const big = await postEvent(server.app, { key: other.ingest.key }, { agent: 'unbounded', cost_usd: 500 });
    expectStatus(big, 201);
    assert.equal((await getAgent(server.app, other.admin.key, 'unbounded')).limits.month_micros, null);
  });
});

describe('the operator’s default: SPENDGUARD_DEFAULT_AGENT_MONTH_USD', () => {
  for (const [value, expected] of [
    ['2.50', 2_500_000],
    ['', null],
  ] as const) {
    it(`${JSON.stringify(value)} gives new customers a default month limit of ${expected}`, async () => {
      const server = await startTestServer({
        embedded: true,
        productDefaults: true,
        env: { SPENDGUARD_DEFAULT_AGENT_MONTH_USD: value },
      });
      try {
        const c = await customerWithKeys(server.app);
        const customer = expectStatus(
          await injectJson<CustomerJson>(server.app, '/v1/customer', { key: c.admin.key }),
          200,
        ).body;
        assert.equal(customer.default_agent_limits.month_micros, expected);
        const res = await postEvent(server.app, { key: c.ingest.key }, { agent: 'any-bot', cost_usd: 3 });
        assert.equal(res.status, expected === null ? 201 : 403);
      } finally {
        await server.close();
      }
    });
  }
});
