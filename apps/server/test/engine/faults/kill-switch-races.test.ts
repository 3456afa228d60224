// The kill switch under interleavings on ONE instance, no fault needed (docs/api.md §7 "Consistency"): a suspend that
// answered 200 stays in force until a resume, a decision's flip is not undone by an unrelated PATCH, and GET shows
// what the next decision uses. Each round uses a fresh agent; the timing between the racing requests is varied.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, signupAndAdminKey, startTestServer, type Tenant, type TestServer } from '../../harness.js';
import { createAgent, postEvent } from '../helpers.js';
import { sleep } from './fault-helpers.js';
import { dbAgentState, storeAgentState } from './probe.js';

const ROUNDS = 30;
const VELOCITY_OFFSETS = [-1, -2, -3, -1, -2, -4, 0, 1];

describe('kill switch races on one instance', () => {
  let server: TestServer;
  let t: Tenant;
  before(async () => {
    server = await startTestServer();
    t = await signupAndAdminKey(server.url);
  });
  after(() => server.close());

  it('a suspend racing a PATCH of limits stays in force', async () => {
    const broken: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `sp-race-${round}`;
      await createAgent(server.url, t.adminKey, name, { month_usd: '10' });
      const gap = round % 4; // the suspend is sent 0–3 ms after the PATCH
      const patch = api(server.url, `/v1/agents/${name}`, {
        method: 'PATCH',
        key: t.adminKey,
        body: { limits: { day_micros: 5_000_000 + round } },
      });
      await sleep(gap);
      const suspend = await api(server.url, `/v1/agents/${name}/suspend`, {
        method: 'POST',
        key: t.adminKey,
        body: { note: `round ${round}` },
      });
      const patched = await patch;
      assert.equal(suspend.status, 200, JSON.stringify(suspend.body));
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const got = await api(server.url, `/v1/agents/${name}`, { key: t.adminKey });
      const next = await postEvent(server.url, t.adminKey, { agent: name, cost_micros: 1 });
      if (
        got.body.status !== 'suspended' ||
        next.status !== 403 ||
        next.body.error?.code !== 'agent_suspended'
      )
        broken.push(`round ${round} (+${gap} ms): GET ${got.body.status}, next event ${next.status}`);
    }
    assert.deepEqual(broken, [], `${broken.length}/${ROUNDS} suspensions undone by a PATCH`);
  });

  it("a velocity flip is not erased by a PATCH that lands during the flipping event's commit", async () => {
    const broken: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const name = `vel-race-${round}`;
      const created = await createAgent(server.url, t.adminKey, name, {
        month_usd: '10',
        velocity: { window_seconds: 60, max_micros: 1_000_000 },
      });
      const agentId = created.body.id as string;
      assert.equal(
        (await postEvent(server.url, t.adminKey, { agent: name, cost_micros: 900_000 })).status,
        201,
      );
      // offset < 0: the PATCH is sent first (it then reads the row before the flip commits and writes the store
      // after the flip: the window that erases it); >= 0: the flipping event first.
      const offset = VELOCITY_OFFSETS[round % VELOCITY_OFFSETS.length] as number;
      const sendPatch = () =>
        api(server.url, `/v1/agents/${name}`, {
          method: 'PATCH',
          key: t.adminKey,
          body: { limits: { day_micros: 8_000_000 + round } },
        });
      const sendEvent = () => postEvent(server.url, t.adminKey, { agent: name, cost_micros: 200_000 });
      const [flip, patched] =
        offset < 0
          ? await (async () => {
              const p = sendPatch();
              await sleep(-offset);
              return [await sendEvent(), await p];
            })()
          : await (async () => {
              const e = sendEvent();
              await sleep(offset);
              return [await e, await sendPatch()];
            })();
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(flip.status, 403, JSON.stringify(flip.body));
      assert.equal(flip.body.error.period, 'velocity', JSON.stringify(flip.body));
      const got = await api(server.url, `/v1/agents/${name}`, { key: t.adminKey });
      const db = await dbAgentState(server.databaseUrl as string, t.customerId, agentId);
      const store = await storeAgentState(server, t.customerId, agentId);
      const next = await postEvent(server.url, t.adminKey, { agent: name, cost_micros: 10_000 });
      const problems: string[] = [];
      if (got.body.status !== 'suspended') problems.push(`GET ${got.body.status}`);
      if (got.body.status === 'suspended' && next.body.error?.code !== 'agent_suspended')
        problems.push(`GET suspended but next event ${next.status} ${next.body.error?.code ?? ''}`);
      if (db?.status !== store?.status) problems.push(`PostgreSQL ${db?.status}, store ${store?.status}`);
      if (problems.length > 0) broken.push(`round ${round} (offset ${offset} ms): ${problems.join('; ')}`);
    }
    assert.deepEqual(broken, [], `${broken.length}/${ROUNDS} velocity flips erased by a PATCH`);
  });
});
