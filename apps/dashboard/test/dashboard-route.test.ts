// The server side of the dashboard: apps/server/src/routes/dashboard.ts serving a dist directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardRoutes } from '../../server/src/routes/dashboard.js';

async function appFor(distDir: string): Promise<{ app: FastifyInstance; access: string[] }> {
  const app = Fastify();
  const access: string[] = [];
  app.addHook('onRequest', async (request) => {
    access.push(String(request.routeOptions.config.access));
  });
  await app.register(fastifySwagger, { openapi: { info: { title: 't', version: '1' } } });
  app.get('/v1/ping', async () => ({ ok: true }));
  await app.register(async (scope) => dashboardRoutes(scope, { distDir }));
  await app.ready();
  return { app, access };
}

describe('dashboard static serving', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-dash-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('without a build, / answers 503 with the build hint', async () => {
    const { app } = await appFor(join(dir, 'missing'));
    const response = await app.inject({ method: 'GET', url: '/' });
    assert.equal(response.statusCode, 503);
    assert.equal(response.body, 'dashboard not built: run npm run build:dashboard');
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    await app.close();
  });

  test('serves index.html uncached and hashed assets cached for a year', async () => {
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Spendguard</title>');
    writeFileSync(join(dist, 'assets', 'index-Ab12.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'index-Cd34.css'), 'body{}');
    const { app, access } = await appFor(dist);

    const index = await app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.equal(index.body, '<!doctype html><title>Spendguard</title>');
    assert.equal(index.headers['cache-control'], 'no-store');
    assert.match(String(index.headers['content-type']), /^text\/html/);

    const js = await app.inject({ method: 'GET', url: '/assets/index-Ab12.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.body, 'console.log(1)');
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');

    const css = await app.inject({ method: 'GET', url: '/assets/index-Cd34.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);

    assert.equal((await app.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/../index.html' })).statusCode, 404);
    // No catch-all: API paths stay the API's, unknown ones get the app's own 404.
    assert.equal((await app.inject({ method: 'GET', url: '/v1/ping' })).json().ok, true);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/nothing' })).statusCode, 404);
    // The dashboard's routes are public: the page holds no data, the API checks the session.
    assert.deepEqual(access.slice(0, 3), ['public', 'public', 'public']);
    await app.close();
  });

  test('the dashboard routes stay out of the OpenAPI document', async () => {
    const { app } = await appFor(join(dir, 'dist'));
    const doc = app.swagger() as { paths?: Record<string, unknown> };
    const paths = Object.keys(doc.paths ?? {});
    assert.ok(paths.includes('/v1/ping'), `expected /v1/ping among ${paths.join(', ')}`);
    assert.ok(!paths.some((p) => p === '/' || p.startsWith('/assets')), `leaked: ${paths.join(', ')}`);
    await app.close();
  });
});
