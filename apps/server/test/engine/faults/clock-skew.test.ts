// Suspected (issue 11): instance clocks that differ. Velocity buckets are keyed by the deciding instance's clock, and
// a window sum that ignored buckets "in the future" let an instance 2 s ahead count where an instance on time did
// not look. A velocity limit must hold across instances whatever their clocks say (within a few seconds of skew).
// No engine clock seam exists: the fast instance is a real server process with Date.now moved (clock-offset.mjs).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  newRedisPrefix,
  REDIS_URL,
  type ServerProcess,
  signupAndAdminKey,
  startServerProcess,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../../harness.js';
import { createAgent, dbSpend, postEvent } from '../helpers.js';
import { CLOCK_OFFSET_PRELOAD, maxWindowSpend, USD } from './fault-helpers.js';

describe('instances whose clocks differ', { timeout: 90_000 }, () => {
  let database: TestDatabase;
  let fast: ServerProcess | undefined;
  let server: TestServer | undefined;
  const prefix = newRedisPrefix();
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await fast?.kill();
    await server?.close();
    await database.drop();
  });

  it('suspected: an instance 2 s ahead does not let a 5 USD velocity limit pass 6 USD in 60 s', async () => {
    server = await startTestServer({ databaseUrl: database.url, redisPrefix: prefix });
    fast = await startServerProcess(
      {
        SPENDGUARD_DATABASE_URL: database.url,
        SPENDGUARD_REDIS_URL: REDIS_URL,
        SPENDGUARD_REDIS_PREFIX: prefix,
        SG_TEST_CLOCK_OFFSET_MS: '2000',
      },
      ['--import', CLOCK_OFFSET_PRELOAD],
    );
    const t = await signupAndAdminKey(server.url);
    await createAgent(server.url, t.adminKey, 'skew-bot', {
      month_usd: 100,
      velocity: { window_seconds: 60, max_usd: 5 },
    });
    assert.doesNotMatch(fast.output(), /clock is/, '2 s of skew are within what is allowed for: no warning');
    const first = await postEvent(fast.url, t.adminKey, { agent: 'skew-bot', cost_micros: 3 * USD });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await postEvent(server.url, t.adminKey, { agent: 'skew-bot', cost_micros: 3 * USD });

    const spent = await dbSpend(database.url, t.customerId, 'skew-bot');
    const worst = await maxWindowSpend(database.url, t.customerId, 'skew-bot', 60);
    assert.ok(
      spent.events <= 5 * USD && worst <= 5 * USD,
      `${spent.events / USD} USD accepted within ~1 s on a 5 USD / 60 s velocity limit (second event: ${second.status}, budget velocity ${second.body?.budget?.agent?.velocity?.spent_micros})`,
    );
  });

  it('a server whose clock is 6 s off PostgreSQL says so at start (its events would be refused as too old)', async () => {
    const off = await startServerProcess(
      { SPENDGUARD_DATABASE_URL: database.url, SG_TEST_CLOCK_OFFSET_MS: '-6000' },
      ['--import', CLOCK_OFFSET_PRELOAD],
    );
    try {
      assert.match(
        off.output(),
        /warning: this machine's clock is 6\.\d s behind PostgreSQL's; events decided here may be refused/,
      );
    } finally {
      await off.kill();
    }
  });
});
