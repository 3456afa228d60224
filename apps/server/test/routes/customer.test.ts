// GET/PATCH /v1/customer (docs/api.md §8): monthly limit, default agent limits, auto-creation — app.inject, typed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { CustomerSchema } from '../../src/schemas/agents.js';
import type { ReservationCreatedSchema } from '../../src/schemas/spend.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type Auth,
  type CustomerWithKeys,
  createAgent,
  customersWithKeys,
  expectError,
  expectInvalid,
  expectStatus,
  getAgent,
  idemKey,
  injectJson,
  nextMonthStart,
  postEvent,
  unknownKey,
} from './inject.js';

type CustomerJson = Static<typeof CustomerSchema>;
type ReservationCreated = Static<typeof ReservationCreatedSchema>;

let server: TestServer;
let customers: CustomerWithKeys[];
before(async () => {
  server = await startTestServer({ embedded: true });
  customers = await customersWithKeys(server.app, 4);
});
after(async () => {
  await server.close();
});

const NO_LIMITS = { month_micros: null, day_micros: null, run_micros: null, velocity: null, repeats: null };
const get = (auth: Auth) => injectJson<CustomerJson>(server.app, '/v1/customer', auth);
const patch = (auth: Auth, body: unknown) =>
  injectJson<CustomerJson>(server.app, '/v1/customer', { ...auth, method: 'PATCH', body });
async function read(key: string): Promise<CustomerJson> {
  return expectStatus(await get({ key }), 200, 'GET /v1/customer').body;
}

describe('happy', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it('a new customer has no monthly limit, no default agent limits, auto-creation on and no spend', async () => {
    const customer = await read(c.admin.key);
    assert.deepEqual(customer, {
      id: c.customerId,
      name: c.company,
      limits: { month_micros: null, month_usd: null },
      default_agent_limits: NO_LIMITS,
      auto_create_agents: true,
      gateway_default_max_output_tokens: 4096,
      alert_thresholds_percent: [50, 80, 100],
      spend: { month_micros: 0, resets_at: nextMonthStart() },
    });
    assert.match(customer.id, /^cus_/);
    // The session reads the same customer.
    assert.deepEqual(expectStatus(await get({ session: c.session }), 200).body, customer);
  });

  it('PATCH limits.month_usd "500" is 200 with month_micros 500000000 and month_usd "500.000000"', async () => {
    const res = expectStatus(await patch({ key: c.admin.key }, { limits: { month_usd: '500' } }), 200);
    assert.deepEqual(res.body.limits, { month_micros: 500_000_000, month_usd: '500.000000' });
    assert.deepEqual(await read(c.admin.key), res.body);
    const micros = expectStatus(
      await patch({ key: c.admin.key }, { limits: { month_micros: 12_345_678 } }),
      200,
    );
    assert.deepEqual(micros.body.limits, { month_micros: 12_345_678, month_usd: '12.345678' });
    const rounded = expectStatus(
      await patch({ key: c.admin.key }, { limits: { month_usd: 0.0000015 } }),
      200,
    );
    assert.deepEqual(rounded.body.limits, { month_micros: 2, month_usd: '0.000002' });
  });

  it('a PATCH leaves out what it does not name, and null removes the monthly limit', async () => {
    expectStatus(await patch({ key: c.admin.key }, { limits: { month_usd: '75' } }), 200);
    const only = expectStatus(await patch({ key: c.admin.key }, { auto_create_agents: true }), 200).body;
    assert.equal(only.limits.month_micros, 75_000_000);
    const empty = expectStatus(await patch({ key: c.admin.key }, {}), 200).body;
    assert.deepEqual(empty, only);
    const removed = expectStatus(
      await patch({ key: c.admin.key }, { limits: { month_usd: null } }),
      200,
    ).body;
    assert.deepEqual(removed.limits, { month_micros: null, month_usd: null });
    assert.deepEqual((await read(c.admin.key)).limits, { month_micros: null, month_usd: null });
  });

  it('spend.month_micros is the accepted spend of the month', async () => {
    for (const cost of [1000, 2300]) {
      expectStatus(
        await postEvent(server.app, { key: c.ingest.key }, { agent: 'spend-bot', cost_micros: cost }),
        201,
      );
    }
    const customer = await read(c.admin.key);
    assert.equal(customer.spend.month_micros, 3300);
    assert.equal(customer.spend.resets_at, nextMonthStart());
  });

  it('an open hold and a declined event are not accepted spend: spend.month_micros leaves them out', async () => {
    const hold = expectStatus(
      await injectJson<ReservationCreated>(server.app, '/v1/reservations', {
        key: c.ingest.key,
        body: { agent: 'spend-bot', amount_micros: 500 },
        idempotencyKey: idemKey('hold'),
      }),
      201,
    ).body.reservation;
    await createAgent(server.app, c.admin.key, 'tiny-bot', { month_micros: 1 });
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'tiny-bot', cost_micros: 2 }),
      403,
      'budget_exceeded',
    );
    assert.equal((await read(c.admin.key)).spend.month_micros, 3300);
    // The hold still counts for decisions (docs/api.md §6) until it is released.
    expectStatus(
      await injectJson(server.app, `/v1/reservations/${hold.id}/release`, {
        method: 'POST',
        key: c.ingest.key,
      }),
      200,
    );
  });

  it('default_agent_limits apply to agents created afterwards, not to existing ones', async () => {
    const res = expectStatus(
      await patch(
        { key: c.admin.key },
        {
          default_agent_limits: {
            month_usd: '10',
            day_usd: 1,
            run_micros: 5000,
            velocity: { window_seconds: 60, max_usd: '0.5' },
          },
        },
      ),
      200,
    );
    const defaults = {
      month_micros: 10_000_000,
      day_micros: 1_000_000,
      run_micros: 5000,
      velocity: { window_seconds: 60, max_micros: 500_000 },
      repeats: null,
    };
    assert.deepEqual(res.body.default_agent_limits, defaults);
    assert.deepEqual((await createAgent(server.app, c.admin.key, 'after-bot')).limits, defaults);
    assert.deepEqual((await getAgent(server.app, c.admin.key, 'spend-bot')).limits, NO_LIMITS);
    // An auto-created agent takes them too.
    const auto = expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'auto-after-bot', cost_micros: 1 }),
      201,
    );
    assert.equal(auto.body.budget.agent.month.limit_micros, 10_000_000);
    assert.equal(auto.body.budget.agent.day.limit_micros, 1_000_000);
  });

  it('a PATCH of default_agent_limits changes only the limits it names', async () => {
    const res = expectStatus(
      await patch({ key: c.admin.key }, { default_agent_limits: { day_usd: null, velocity: null } }),
      200,
    );
    assert.deepEqual(res.body.default_agent_limits, {
      month_micros: 10_000_000,
      day_micros: null,
      run_micros: 5000,
      velocity: null,
      repeats: null,
    });
    expectStatus(
      await patch({ key: c.admin.key }, { default_agent_limits: { month_micros: null, run_micros: null } }),
      200,
    );
    assert.deepEqual((await read(c.admin.key)).default_agent_limits, NO_LIMITS);
  });

  it('the monthly limit is in force for the very next event (403 budget_exceeded, scope customer)', async () => {
    const spent = (await read(c.admin.key)).spend.month_micros;
    expectStatus(await patch({ key: c.admin.key }, { limits: { month_micros: spent + 1 } }), 200);
    const error = expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'spend-bot', cost_micros: 2 }),
      403,
      'budget_exceeded',
    );
    assert.equal(error.scope, 'customer');
    assert.equal(error.limit_micros, spent + 1);
    assert.equal(error.spent_micros, spent);
    assert.equal((await read(c.admin.key)).spend.month_micros, spent);
    expectStatus(await patch({ key: c.admin.key }, { limits: { month_micros: null } }), 200);
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'spend-bot', cost_micros: 2 }),
      201,
    );
  });

  it('auto_create_agents false makes an unknown agent 404 while known agents go on; true again creates it', async () => {
    const off = expectStatus(await patch({ key: c.admin.key }, { auto_create_agents: false }), 200);
    assert.equal(off.body.auto_create_agents, false);
    const key = idemKey('auto-off');
    expectError(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'not-yet-bot', cost_micros: 1 }, key),
      404,
      'not_found',
    );
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'spend-bot', cost_micros: 1 }),
      201,
    );
    expectStatus(await patch({ key: c.admin.key }, { auto_create_agents: true }), 200);
    expectStatus(
      await postEvent(server.app, { key: c.ingest.key }, { agent: 'not-yet-bot', cost_micros: 1 }, key),
      201,
    );
    assert.equal((await getAgent(server.app, c.admin.key, 'not-yet-bot')).spend.month_micros, 1);
  });
});

describe('gateway_default_max_output_tokens (docs/api.md §12)', () => {
  let c: CustomerWithKeys;
  before(() => {
    c = customers[0] as CustomerWithKeys;
  });

  it('is 4096 by default; PATCH sets it (1 and 1,000,000 included), audited, and the cached settings see it at once', async () => {
    // Fill the in-process settings cache the gateway reads, so the PATCH must invalidate it.
    const directory = server.app.ctx.spend.directory;
    assert.equal((await directory.customer(c.customerId)).gatewayDefaultMaxOutputTokens, 4096);
    for (const value of [1, 1_000_000, 2048]) {
      const res = expectStatus(
        await patch({ key: c.admin.key }, { gateway_default_max_output_tokens: value }),
        200,
      );
      assert.equal(res.body.gateway_default_max_output_tokens, value);
      assert.equal((await read(c.admin.key)).gateway_default_max_output_tokens, value);
      assert.equal((await directory.customer(c.customerId)).gatewayDefaultMaxOutputTokens, value);
    }
    // A PATCH of something else leaves it alone.
    expectStatus(await patch({ key: c.admin.key }, { auto_create_agents: true }), 200);
    assert.equal((await read(c.admin.key)).gateway_default_max_output_tokens, 2048);
    const audit = expectStatus(
      await injectJson<{ data: Array<{ action: string; before: unknown; after: unknown }> }>(
        server.app,
        '/v1/audit-log?limit=100',
        { key: c.admin.key },
      ),
      200,
    ).body.data.filter((e) => e.action === 'customer.update');
    const change = audit.find(
      (e) =>
        (e.before as Record<string, unknown>).gateway_default_max_output_tokens === 1_000_000 &&
        (e.after as Record<string, unknown>).gateway_default_max_output_tokens === 2048,
    );
    assert.ok(change, `no customer.update entry 1000000 → 2048: ${JSON.stringify(audit)}`);
  });

  it('anything but an integer 1..1,000,000 is 400 naming it, and nothing changes', async () => {
    const before = await read(c.admin.key);
    for (const value of [0, -1, 1_000_001, 1.5, '4096', null, true, 1e300]) {
      expectInvalid(
        await patch(
          { key: c.admin.key },
          { gateway_default_max_output_tokens: value, auto_create_agents: false },
        ),
        'gateway_default_max_output_tokens',
        undefined,
        JSON.stringify(value),
      );
    }
    assert.deepEqual(await read(c.admin.key), before);
  });
});

describe('errors', () => {
  let c: CustomerWithKeys;
  let original: CustomerJson;
  before(async () => {
    c = customers[1] as CustomerWithKeys;
    original = expectStatus(
      await patch(
        { key: c.admin.key },
        { limits: { month_usd: '100' }, default_agent_limits: { day_micros: 4000 } },
      ),
      200,
    ).body;
  });

  it('a bad monthly limit is 400 naming limits.month_usd or limits.month_micros', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ month_usd: '1', month_micros: 1 }, 'limits.month_usd'],
      [{ month_usd: null, month_micros: 5 }, 'limits.month_usd'],
      [{ month_usd: '-5' }, 'limits.month_usd'],
      [{ month_usd: 'abc' }, 'limits.month_usd'],
      [{ month_usd: '1000000000.000001' }, 'limits.month_usd'],
      [{ month_usd: '1e400' }, 'limits.month_usd'],
      [{ month_usd: true }, 'limits.month_usd'],
      [{ month_micros: 1.5 }, 'limits.month_micros'],
      [{ month_micros: '5' }, 'limits.month_micros'],
      [{ month_micros: -1 }, 'limits.month_micros'],
      [{ day_usd: '1' }, 'limits.day_usd'],
    ];
    for (const [limits, field] of cases) {
      expectInvalid(await patch({ key: c.admin.key }, { limits }), field, undefined, JSON.stringify(limits));
    }
  });

  it('bad default_agent_limits are 400 naming the dotted field under default_agent_limits', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ month_usd: 'x' }, 'default_agent_limits.month_usd'],
      [{ day_usd: '1', day_micros: 1 }, 'default_agent_limits.day_usd'],
      [{ velocity: { window_seconds: 0, max_micros: 1 } }, 'default_agent_limits.velocity.window_seconds'],
      [{ velocity: { window_seconds: 10 } }, 'default_agent_limits.velocity.max_usd'],
      [{ week_usd: 1 }, 'default_agent_limits.week_usd'],
    ];
    for (const [limits, field] of cases) {
      expectInvalid(
        await patch({ key: c.admin.key }, { default_agent_limits: limits }),
        field,
        undefined,
        JSON.stringify(limits),
      );
    }
  });

  it('a non-boolean auto_create_agents or an unknown field is 400 naming it (no coercion)', async () => {
    for (const value of ['yes', 'true', 1, 0, null]) {
      expectInvalid(
        await patch({ key: c.admin.key }, { auto_create_agents: value }),
        'auto_create_agents',
        undefined,
        JSON.stringify(value),
      );
    }
    expectInvalid(await patch({ key: c.admin.key }, { name: 'Renamed' }), 'name', /unknown/);
    expectInvalid(await patch({ key: c.admin.key }, { limits: 5 }), 'limits');
  });

  it('malformed JSON is 400, a body over 64 KiB is 413, a text/plain body is 415', async () => {
    expectInvalid(
      await injectJson(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        raw: '{"limits": {',
        contentType: 'application/json',
      }),
      'body',
    );
    expectError(
      await patch({ key: c.admin.key }, { auto_create_agents: false, pad: 'x'.repeat(65 * 1024) }),
      413,
      'payload_too_large',
    );
    expectError(
      await injectJson(server.app, '/v1/customer', {
        method: 'PATCH',
        key: c.admin.key,
        raw: '{"auto_create_agents": false}',
        contentType: 'text/plain',
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('GET /v1/customer with a NUL in the query is 400 naming it', async () => {
    expectInvalid(await injectJson(server.app, '/v1/customer?x=%00', { key: c.admin.key }), 'query.x');
  });

  it('a PATCH with one bad part changes nothing, not even its good parts', async () => {
    expectInvalid(
      await patch(
        { key: c.admin.key },
        { auto_create_agents: false, limits: { month_usd: '1' }, default_agent_limits: { month_usd: '-1' } },
      ),
      'default_agent_limits.month_usd',
    );
    expectInvalid(
      await patch({ key: c.admin.key }, { auto_create_agents: false, limits: { month_usd: 'bad' } }),
      'limits.month_usd',
    );
    assert.deepEqual(await read(c.admin.key), original);
    assert.equal(original.auto_create_agents, true);
    assert.equal(original.limits.month_micros, 100_000_000);
  });
});

describe('security', () => {
  let c: CustomerWithKeys;
  let other: CustomerWithKeys;
  let original: CustomerJson;
  before(async () => {
    c = customers[2] as CustomerWithKeys;
    other = customers[3] as CustomerWithKeys;
    original = expectStatus(await patch({ key: c.admin.key }, { limits: { month_usd: '20' } }), 200).body;
  });

  it('GET and PATCH are 401 without a credential, with an unknown key, or with a malformed Authorization header', async () => {
    for (const auth of [
      {},
      { key: unknownKey('admin') },
      { session: c.session, headers: { authorization: 'Bearer not a key' } },
    ]) {
      expectError(await get(auth), 401, 'unauthenticated');
      expectError(await patch(auth, { limits: { month_usd: null } }), 401, 'unauthenticated');
    }
    assert.deepEqual(await read(c.admin.key), original);
  });

  it('an ingest key is 403 forbidden on GET and PATCH, and changes nothing', async () => {
    expectError(await get({ key: c.ingest.key }), 403, 'forbidden');
    expectError(await patch({ key: c.ingest.key }, { limits: { month_usd: null } }), 403, 'forbidden');
    assert.deepEqual(await read(c.admin.key), original);
  });

  it('a session PATCH without a valid X-CSRF-Token is 403 csrf_failed; GET needs none; with it PATCH works', async () => {
    expectError(
      await patch({ session: c.session, csrf: false }, { limits: { month_usd: null } }),
      403,
      'csrf_failed',
    );
    expectError(
      await patch({ session: c.session, csrf: other.session.csrf }, { limits: { month_usd: null } }),
      403,
      'csrf_failed',
    );
    assert.deepEqual(expectStatus(await get({ session: c.session }), 200).body, original);
    const ok = expectStatus(await patch({ session: c.session }, { limits: { month_usd: '21' } }), 200);
    assert.equal(ok.body.limits.month_micros, 21_000_000);
    original = ok.body;
  });

  it('every credential reads and changes only its own customer', async () => {
    const theirs = await read(other.admin.key);
    assert.equal(theirs.id, other.customerId);
    assert.notEqual(theirs.id, c.customerId);
    expectStatus(
      await patch({ key: other.admin.key }, { limits: { month_usd: '1' }, auto_create_agents: false }),
      200,
    );
    expectStatus(await patch({ session: other.session }, { default_agent_limits: { month_usd: '2' } }), 200);
    assert.deepEqual(await read(c.admin.key), original);
    assert.equal((await read(other.admin.key)).limits.month_micros, 1_000_000);
  });
});
