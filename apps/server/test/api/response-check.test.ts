// The response check the suites run with (SPENDGUARD_CHECK_RESPONSES=1): an answer that does not match its route's
// declared schema is a 500, so a schema and the code that fills it cannot drift apart unseen. Off (production), the
// body is sent as the code built it — never silently trimmed to the schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { checkDeclaredStatuses, serializerCompiler } from '../../src/http/validation.js';
import { UserSchema } from '../../src/schemas/accounts.js';
import { ref } from '../../src/schemas/common.js';

async function appAnswering(body: unknown, check: boolean) {
  const app = Fastify({ logger: false });
  app.setSerializerCompiler(serializerCompiler(check));
  app.get('/user', { schema: { response: { 200: ref(UserSchema) } } }, async () => body);
  app.get('/plain', { schema: { response: { 200: Type.Object({ n: Type.Integer() }) } } }, async () => body);
  await app.ready();
  return app;
}

const user = { id: 'usr_1', email: 'a@example.com', role: 'owner', created_at: '2026-12-02T00:00:00.000Z' };

describe('response schema check', () => {
  it('sends a body that matches its schema, component references included', async () => {
    const app = await appAnswering(user, true);
    const res = await app.inject('/user');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), user);
    await app.close();
  });

  it('answers 500 for a field the schema does not declare, a missing field or a wrong type', async (t) => {
    t.mock.method(console, 'error', () => {});
    for (const wrong of [
      { ...user, extra: 1 },
      { id: 'usr_1', email: 'a@example.com' },
      { ...user, id: 7 },
    ]) {
      const app = await appAnswering(wrong, true);
      const res = await app.inject('/user');
      assert.equal(res.statusCode, 500, JSON.stringify(wrong));
      await app.close();
    }
    const app = await appAnswering({ n: 1.5 }, true);
    assert.equal((await app.inject('/plain')).statusCode, 500);
    await app.close();
  });

  it('with checking off, sends exactly what the handler built (no field dropped)', async () => {
    const app = await appAnswering({ ...user, extra: 1 }, false);
    const res = await app.inject('/user');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { ...user, extra: 1 });
    await app.close();
  });
});

describe('declared status check', () => {
  it('turns a status the route does not declare into a 500 naming it; a declared one passes', async (t) => {
    t.mock.method(console, 'error', () => {});
    const app = Fastify({ logger: false });
    app.setSerializerCompiler(serializerCompiler(true));
    checkDeclaredStatuses(app);
    const Ok = Type.Object({ ok: Type.Boolean() });
    app.get('/x', { schema: { response: { 200: Ok, 409: Ok } } }, async (request, reply) =>
      reply.code(Number((request.query as { s: string }).s) as 200).send({ ok: true }),
    );
    await app.ready();
    assert.equal((await app.inject('/x?s=409')).statusCode, 409);
    const undeclared = await app.inject('/x?s=418');
    assert.equal(undeclared.statusCode, 500);
    assert.match(undeclared.json().error.message, /GET \/x answered 418/);
    await app.close();
  });
});
