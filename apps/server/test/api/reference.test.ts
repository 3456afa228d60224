// The API reference: /docs renders every operation in a real Chromium under our CSP with no console error, the
// document at /openapi.json is valid OpenAPI 3, and its request examples are requests the server really accepts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

import { launchChromium } from '../chromium.js';
import { api, signupAndAdminKey, startTestServer, type TestServer } from '../harness.js';

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { content?: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let server: TestServer;
let doc: Document;

function operations(): Array<{ id: string; method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      id: `${method.toUpperCase()} ${path}`,
      method,
      path,
      op,
    })),
  );
}

function operation(id: string): Operation {
  const found = operations().find((o) => o.id === id);
  assert.ok(found, `${id} is not in the document`);
  return found.op;
}

/** The JSON request body of an operation and its examples (@fastify/swagger: `example`, or `examples` for 2+). */
function jsonBody(op: Operation): { schema: Record<string, unknown>; examples: unknown[] } | undefined {
  const media = op.requestBody?.content?.['application/json'];
  if (!media?.schema) return undefined;
  const examples = [
    ...(media.example === undefined ? [] : [media.example]),
    ...Object.values(media.examples ?? {}).map((e) => e.value),
    ...((media.schema.examples as unknown[] | undefined) ?? []),
  ];
  return { schema: media.schema, examples };
}

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

describe('API reference', { timeout: 120_000 }, () => {
  before(async () => {
    server = await startTestServer({ embedded: true });
    doc = (await api<Document>(server.url, '/openapi.json')).body;
  });
  after(() => server.close());

  it('renders every operation with no console error under the CSP', async () => {
    const problems: string[] = [];
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      page.on('requestfailed', (r) =>
        problems.push(`failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`),
      );
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.request().method()} ${r.url()} → ${r.status()}`);
      });
      // A string: this tsconfig has no DOM types. Violations are logged, so the console listener sees them.
      await page.addInitScript({
        content: `document.addEventListener('securitypolicyviolation', (e) =>
          console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))`,
      });
      const expected = operations().map((o) => o.id);
      const response = await page.goto(`${server.url}/docs`);
      // The page runs under the app's own policy, not a looser one of swagger-ui's.
      const appPolicy = (await api(server.url, '/openapi.json')).headers.get('content-security-policy');
      assert.match(appPolicy ?? '', /style-src 'self'(;|$)/);
      assert.equal(response?.headers()['content-security-policy'], appPolicy);
      const blocks = page.locator('.opblock');
      await blocks.nth(expected.length - 1).waitFor({ timeout: 20_000 });
      await page.waitForLoadState('networkidle');
      const rendered: string[] = [];
      for (const block of await blocks.all()) {
        const method = (await block.locator('.opblock-summary-method').textContent()) ?? '';
        const path = await block.locator('.opblock-summary-path').getAttribute('data-path');
        rendered.push(`${method.toUpperCase()} ${path}`);
      }
      assert.deepEqual(problems, []);
      assert.deepEqual([...rendered].sort(), [...expected].sort());
    } finally {
      await browser.close();
    }
  });

  it('is a valid OpenAPI 3 document with the responses and headers the API promises', async () => {
    const result = await new Validator().validate(structuredClone(doc) as never);
    assert.ok(result.valid, `invalid OpenAPI document: ${JSON.stringify(result.errors, null, 2)}`);

    for (const { id, path, op } of operations().filter((o) => o.path.startsWith('/v1/'))) {
      const success = Object.entries(op.responses).filter(
        ([status]) => /^2/.test(status) && status !== '204',
      );
      if (success.length === 0) continue; // 204 only: nothing to describe
      // The live stream is Server-Sent Events, not JSON.
      const type = path === '/v1/stream' ? 'text/event-stream' : 'application/json';
      assert.ok(
        success.some(([, response]) => response.content?.[type]?.schema),
        `${id}: no 2xx response with a ${type} schema`,
      );
    }

    const eventStatuses = Object.keys(operation('POST /v1/events').responses);
    for (const status of ['201', '400', '401', '403', '409', '413', '415', '422', '429', '503']) {
      assert.ok(eventStatuses.includes(status), `POST /v1/events does not document ${status}`);
    }

    for (const id of ['POST /v1/events', 'POST /v1/reservations']) {
      const header = operation(id).parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
      assert.equal(header?.required, true, `${id}: idempotency-key header is not required`);
    }

    for (const ref of new Set(refs(doc))) {
      const name = ref.match(/^#\/components\/schemas\/(.+)$/)?.[1];
      assert.ok(name && doc.components.schemas[name], `unresolved $ref ${ref}`);
    }
  });

  it('gives every JSON request body an example that matches its schema', () => {
    const ajv = new Ajv.default({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const withoutExamples: string[] = [];
    for (const { id, op } of operations()) {
      const body = jsonBody(op);
      if (!body) continue;
      if (body.examples.length === 0) withoutExamples.push(id);
      // Component refs (#/components/schemas/…) resolve against the document's components, placed at the root.
      const validate = ajv.compile({ ...body.schema, components: doc.components });
      for (const example of body.examples) {
        assert.ok(
          validate(example),
          `${id} example ${JSON.stringify(example)}: ${ajv.errorsText(validate.errors)}`,
        );
      }
    }
    assert.deepEqual(withoutExamples, [], 'operations whose request body has no example');
  });

  it('accepts the examples of the money and setup operations as real requests', async () => {
    const { adminKey } = await signupAndAdminKey(server.url);
    // POST /v1/agents first: its example creates `research-bot`, the agent the other examples use.
    for (const id of [
      'POST /v1/agents',
      'PATCH /v1/customer',
      'POST /v1/events',
      'POST /v1/reservations',
      'POST /v1/api-keys',
    ]) {
      const op = operation(id);
      const examples = jsonBody(op)?.examples ?? [];
      assert.ok(examples.length > 0, `${id} has no example`);
      const [method = '', path = ''] = id.split(' ');
      const idempotent = op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key');
      for (const example of examples) {
        const response = await api(server.url, path, {
          method,
          key: adminKey,
          body: example,
          headers: idempotent ? { 'idempotency-key': `reference-${randomUUID()}` } : {},
        });
        assert.ok(
          response.status >= 200 && response.status < 300,
          `${id} ${JSON.stringify(example)} → ${response.status} ${JSON.stringify(response.body)}`,
        );
      }
    }
  });
});
