// Operations routes (docs/api.md §10): /healthz, /readyz, /openapi.json and /docs without auth, the 404 envelope for
// unknown routes, request ids and security headers — one embedded server, app.inject.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Static } from 'typebox';
import type { LiveSchema, ReadySchema } from '../../src/schemas/operations.js';
import { startTestServer, type TestServer } from '../harness.js';
import {
  type CustomerWithKeys,
  customerWithKeys,
  type ErrorBody,
  expectError,
  expectInvalid,
  expectStatus,
  header,
  type Injected,
  injectJson,
  unknownKey,
} from './inject.js';

type Live = Static<typeof LiveSchema>;
type Ready = Static<typeof ReadySchema>;
type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';
interface OpenApiOperation {
  responses: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Partial<Record<Method, OpenApiOperation>>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
}

let server: TestServer;
let c: CustomerWithKeys;
before(async () => {
  server = await startTestServer({ embedded: true });
  c = await customerWithKeys(server.app);
});
after(async () => {
  await server.close();
});

/** Every route of docs/api.md (§5–§10), as the OpenAPI document names it. */
const ROUTES: Array<[Method, string]> = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['post', '/v1/auth/signup'],
  ['post', '/v1/auth/login'],
  ['post', '/v1/auth/logout'],
  ['get', '/v1/auth/me'],
  ['post', '/v1/api-keys'],
  ['get', '/v1/api-keys'],
  ['delete', '/v1/api-keys/{id}'],
  ['get', '/v1/customer'],
  ['patch', '/v1/customer'],
  ['get', '/v1/agents'],
  ['post', '/v1/agents'],
  ['get', '/v1/agents/{name}'],
  ['patch', '/v1/agents/{name}'],
  ['post', '/v1/agents/{name}/suspend'],
  ['post', '/v1/agents/{name}/resume'],
  ['get', '/v1/agents/{name}/timeseries'],
  ['post', '/v1/events'],
  ['get', '/v1/events'],
  ['post', '/v1/reservations'],
  ['get', '/v1/reservations'],
  ['get', '/v1/reservations/{id}'],
  ['post', '/v1/reservations/{id}/commit'],
  ['post', '/v1/reservations/{id}/release'],
  ['get', '/v1/audit-log'],
  ['get', '/v1/stream'],
];

async function openapi(auth: { key?: string } = {}): Promise<Injected<OpenApiDocument>> {
  return expectStatus(
    await injectJson<OpenApiDocument>(server.app, '/openapi.json', auth),
    200,
    'openapi.json',
  );
}

describe('happy', () => {
  it('GET /healthz is 200 {"status": "ok"} without a credential', async () => {
    const res = expectStatus(await injectJson<Live>(server.app, '/healthz'), 200);
    assert.deepEqual(res.body, { status: 'ok' });
    assert.match(header(res, 'content-type') ?? '', /^application\/json/);
  });

  it('GET /readyz is 200 ready with each check named: database ok, redis not_configured (embedded)', async () => {
    const res = expectStatus(await injectJson<Ready>(server.app, '/readyz'), 200);
    assert.deepEqual(res.body, { status: 'ready', checks: { database: 'ok', redis: 'not_configured' } });
    assert.equal(header(res, 'retry-after'), undefined);
  });

  it('GET /openapi.json is an OpenAPI 3 document of every route and component schema, without a credential', async () => {
    const doc = (await openapi()).body;
    assert.match(doc.openapi, /^3\./);
    assert.equal(doc.info.title, 'Spendguard API');
    assert.match(doc.info.version, /^\d+\.\d+\.\d+$/);
    for (const [method, path] of ROUTES) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is in the document`);
    }
    for (const name of [
      'ErrorBody',
      'ApiError',
      'Event',
      'EventCreated',
      'Budget',
      'Reservation',
      'ReservationCreated',
      'ReservationEnvelope',
      'Agent',
      'Timeseries',
      'Customer',
      'AuditPage',
      'Session',
      'CreatedApiKey',
      'ApiKeyPage',
      'Readiness',
    ]) {
      assert.ok(doc.components.schemas[name], `component ${name}`);
    }
    assert.equal(doc.components.securitySchemes.apiKey?.scheme, 'bearer');
    assert.equal(doc.components.securitySchemes.session?.in, 'cookie');
    assert.equal(doc.components.securitySchemes.session?.name, 'sg_session');
  });

  it('the document lists the documented answers of the money routes', async () => {
    const doc = (await openapi()).body;
    const statuses = (method: Method, path: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {});
    for (const s of ['201', '400', '401', '403', '404', '409', '413', '415', '422', '503']) {
      assert.ok(statuses('post', '/v1/events').includes(s), `POST /v1/events declares ${s}`);
      assert.ok(statuses('post', '/v1/reservations').includes(s), `POST /v1/reservations declares ${s}`);
      assert.ok(statuses('post', '/v1/reservations/{id}/commit').includes(s), `commit declares ${s}`);
    }
    assert.ok(statuses('post', '/v1/reservations/{id}/release').includes('409'));
    assert.ok(statuses('post', '/v1/agents').includes('409'));
    assert.ok(statuses('post', '/v1/auth/signup').includes('409'));
    assert.ok(statuses('post', '/v1/auth/login').includes('429'));
    assert.deepEqual(statuses('get', '/readyz').sort(), ['200', '400', '500', '503']);
  });

  it('GET /docs renders the document as an HTML page without a credential', async () => {
    const res = expectStatus(await injectJson<string>(server.app, '/docs'), 200);
    assert.match(header(res, 'content-type') ?? '', /^text\/html/);
    assert.match(res.text, /<html/i);
  });

  it('a well-formed X-Request-Id is kept, a malformed one replaced; every answer carries one', async () => {
    const kept = await injectJson(server.app, '/healthz', { headers: { 'x-request-id': 'trace-42.a:b' } });
    assert.equal(header(kept, 'x-request-id'), 'trace-42.a:b');
    const replaced = await injectJson(server.app, '/healthz', { headers: { 'x-request-id': 'two words' } });
    assert.match(header(replaced, 'x-request-id') ?? '', /^[A-Za-z0-9._:-]{1,64}$/);
    assert.notEqual(header(replaced, 'x-request-id'), 'two words');
    const tooLong = await injectJson(server.app, '/healthz', { headers: { 'x-request-id': 'a'.repeat(65) } });
    assert.notEqual(header(tooLong, 'x-request-id'), 'a'.repeat(65));
    for (const res of [
      await injectJson(server.app, '/readyz'),
      await injectJson(server.app, '/openapi.json'),
      await injectJson(server.app, '/no/such/route'),
      await injectJson(server.app, '/v1/events'),
      await injectJson(server.app, '/v1/events', { key: c.admin.key }),
    ]) {
      assert.match(header(res, 'x-request-id') ?? '', /.+/, `status ${res.status}`);
    }
    const a = header(await injectJson(server.app, '/healthz'), 'x-request-id');
    const b = header(await injectJson(server.app, '/healthz'), 'x-request-id');
    assert.notEqual(a, b);
  });
});

describe('errors', () => {
  it('an unknown route is 404 not_found in the error envelope, for any method', async () => {
    for (const [method, url] of [
      ['GET', '/no/such/route'],
      ['POST', '/no/such/route'],
      ['DELETE', '/healthz'],
      ['PUT', '/v1/customer'],
      ['GET', '/v1/reservations/rsv_abc/commit'],
    ] as const) {
      const res = await injectJson<ErrorBody>(server.app, url, { method });
      const error = expectError(res, 404, 'not_found', `${method} ${url}`);
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.deepEqual(Object.keys(error).sort(), ['code', 'message']);
      assert.match(header(res, 'content-type') ?? '', /^application\/json/);
    }
  });

  it('an unknown /v1/ route is 404 not_found, with or without a key', async () => {
    expectError(await injectJson(server.app, '/v1/widgets'), 404, 'not_found');
    expectError(await injectJson(server.app, '/v1/widgets', { key: c.admin.key }), 404, 'not_found');
    expectError(await injectJson(server.app, '/v2/events', { key: c.admin.key }), 404, 'not_found');
  });

  it('GET /metrics is 404 like any unknown path while SPENDGUARD_METRICS_TOKEN is unset', async () => {
    expectError(await injectJson(server.app, '/metrics'), 404, 'not_found');
    expectError(
      await injectJson(server.app, '/metrics', { headers: { authorization: 'Bearer some-token-1234567' } }),
      404,
      'not_found',
    );
  });

  it('/healthz and /readyz with a NUL in the query are 400 in the envelope, never 500', async () => {
    for (const url of ['/healthz?probe=%00', '/readyz?probe=%00']) {
      expectInvalid(await injectJson(server.app, url), 'query.probe', undefined, url);
    }
  });

  it('every route declares 400, the answer docs/api.md §5 gives to a NUL in any query or path', async () => {
    const doc = (await openapi()).body;
    const missing = ROUTES.filter(([method, path]) => !doc.paths[path]?.[method]?.responses['400']).map(
      ([method, path]) => `${method.toUpperCase()} ${path}`,
    );
    assert.deepEqual(missing, []);
  });
});

describe('security', () => {
  const checkHeaders = (res: Injected<unknown>, what: string) => {
    assert.equal(header(res, 'x-content-type-options'), 'nosniff', what);
    const csp = header(res, 'content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/, what);
    assert.match(csp, /frame-ancestors 'none'/, what);
    assert.doesNotMatch(csp, /unsafe-inline/, what);
    assert.ok(header(res, 'x-frame-options'), `${what}: X-Frame-Options`);
    assert.ok(header(res, 'referrer-policy'), `${what}: Referrer-Policy`);
    assert.match(header(res, 'strict-transport-security') ?? '', /max-age=\d+/, what);
    assert.equal(header(res, 'x-powered-by'), undefined, what);
  };

  it('every answer carries the security headers and no X-Powered-By', async () => {
    checkHeaders(await injectJson(server.app, '/healthz'), '/healthz');
    checkHeaders(await injectJson(server.app, '/readyz'), '/readyz');
    checkHeaders(await injectJson(server.app, '/openapi.json'), '/openapi.json');
    checkHeaders(await injectJson(server.app, '/nope'), '404');
    checkHeaders(await injectJson(server.app, '/v1/events'), '401');
    checkHeaders(await injectJson(server.app, '/v1/customer', { key: c.ingest.key }), '403');
    checkHeaders(await injectJson(server.app, '/v1/customer', { key: c.admin.key }), '200 /v1/customer');
    checkHeaders(
      await injectJson(server.app, '/v1/agents', { key: c.admin.key, body: { name: 'bad name' } }),
      '400',
    );
  });

  it('the public routes ignore credentials: a wrong key still gets 200 and the same document as a real key', async () => {
    expectStatus(await injectJson(server.app, '/healthz', { key: unknownKey() }), 200);
    expectStatus(await injectJson(server.app, '/readyz', { headers: { authorization: 'garbage' } }), 200);
    const anonymous = (await openapi()).text;
    assert.equal((await openapi({ key: unknownKey() })).text, anonymous);
    assert.equal((await openapi({ key: c.admin.key })).text, anonymous);
    for (const secret of [c.admin.key, c.ingest.key, c.customerId, c.email])
      assert.ok(!anonymous.includes(secret));
  });

  it('a 404 does not echo the requested path or query', async () => {
    const res = await injectJson(server.app, '/%3Cscript%3Ealert(1)%3C%2Fscript%3E?q=%3Cimg%3E');
    expectError(res, 404, 'not_found');
    assert.doesNotMatch(res.text, /script|alert|img/i);
  });

  it('/v1/ routes are closed without a credential while the operations routes stay open', async () => {
    for (const url of [
      '/v1/events',
      '/v1/agents',
      '/v1/customer',
      '/v1/api-keys',
      '/v1/audit-log',
      '/v1/auth/me',
    ]) {
      expectError(await injectJson(server.app, url), 401, 'unauthenticated', url);
    }
    for (const url of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expectStatus(await injectJson(server.app, url), 200, url);
    }
  });
});
