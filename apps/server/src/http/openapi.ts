// The OpenAPI document, built from the routes' own schemas (GET /openapi.json), and its rendering at /docs.
// Component schemas keep their $id as their name, so the generated SDK and dashboard types read `Agent`, `Event`…
// The money rules, error codes and a hot-path curl go into the document's description: the page a new user opens.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { IDEMPOTENCY_HEADER } from '../schemas/common.js';
import { COMPONENT_SCHEMAS } from '../schemas/index.js';
import { ERROR_STATUS } from './errors.js';

export const API_VERSION = '1.1.0';

function errorTable(): string {
  const rows = Object.entries(ERROR_STATUS).map(([code, status]) => `| ${status} | \`${code}\` |`);
  return ['| status | code |', '|---|---|', ...rows].join('\n');
}

const DESCRIPTION = `A hard spend ceiling for AI agents: every cost-bearing action is decided atomically before it
happens, an action that would break a budget is refused with \`403\`, and nothing is counted twice.
The rules this document cannot express (decision order, lift rules, consistency) are in \`docs/api.md\` of the
Spendguard repository.

## The hot path

\`\`\`sh
curl -sS http://127.0.0.1:8787/v1/events \\
  -H "Authorization: Bearer $SPENDGUARD_KEY" \\
  -H "Content-Type: application/json" \\
  -H "Idempotency-Key: task-8812-call-1" \\
  -d '{"agent": "research-bot", "cost_usd": "0.0123"}'
\`\`\`

\`201\` with the recorded event and the budget it left; \`403 budget_exceeded\` or \`403 agent_suspended\` when it
was refused (the declined event is kept for the record). Retrying with the same \`Idempotency-Key\` and body
replays the first answer with \`Idempotent-Replayed: true\` — never a second count: give each new event a new key.

## Money

- Amounts are integer **micro-dollars** (1 USD = 1,000,000) in \`*_micros\` fields and exact decimal strings
  with six places in \`*_usd\` fields (\`"0.012300"\`). No floating point is ever summed.
- A request gives an amount as \`*_usd\` (a JSON number or a decimal string, rounded half-up to whole micros)
  **or** \`*_micros\` (a JSON integer) — exactly one. One event costs 0 to 1,000,000 USD.
- A \`null\` limit means no limit. Spend landing exactly on a limit is accepted; only going above it is refused.

## Authentication

\`Authorization: Bearer sg_ingest_…\` (events, reservations, reading agents; optionally bound to one agent) or
\`sg_admin_…\` (the whole management API). The dashboard uses a session cookie; its writes also send
\`X-CSRF-Token\`. Another customer's object answers \`404\`, never \`403\`.

## Errors

Every error is \`{"error": {"code", "message", …}}\`; each code has one status:

${errorTable()}

\`503\` and \`429\` carry \`Retry-After\`. A \`400\`, \`401\` or \`503\` saves nothing: retry with the same key.`;

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  for (const schema of COMPONENT_SCHEMAS) app.addSchema(schema);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Spendguard API', version: API_VERSION, description: DESCRIPTION },
      tags: [
        {
          name: 'events',
          description: 'The hot path: record cost-bearing actions, decided before they happen',
        },
        { name: 'reservations', description: 'Hold an estimate, then commit the real cost or release it' },
        { name: 'agents', description: 'Agents, their limits and the kill switch' },
        { name: 'customer', description: 'The customer’s monthly limit and defaults' },
        { name: 'api-keys', description: 'Ingest and admin keys' },
        { name: 'auth', description: 'Dashboard accounts and sessions' },
        { name: 'users', description: 'The team: invites, roles, removal' },
        { name: 'audit-log', description: 'Who changed what' },
        { name: 'stream', description: 'Live updates for the dashboard' },
        { name: 'operations', description: 'Liveness, readiness, metrics' },
        {
          name: 'gateway',
          description:
            'LLM calls through Spendguard in the provider’s own wire format (docs/api.md §12): an ingest key, never a session',
        },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'sg_ingest_… or sg_admin_… key' },
          session: { type: 'apiKey', in: 'cookie', name: 'sg_session' },
          anthropicApiKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description: 'the sg_ingest_… key where the Anthropic client sends its key',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    // Components are named by their $id (`#/components/schemas/Agent`), not def-0, def-1…
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url }) => {
      // The Idempotency-Key header is required (docs/api.md §5); validators see it optional only because the body
      // field idempotency_key may stand in for it.
      const headers = schema?.headers as
        | { properties?: Record<string, unknown>; required?: string[] }
        | undefined;
      if (!headers?.properties?.[IDEMPOTENCY_HEADER]) return { schema, url };
      const required = [...new Set([...(headers.required ?? []), IDEMPOTENCY_HEADER])];
      return { schema: { ...schema, headers: { ...headers, required } }, url };
    },
  });
  // /docs runs under the app's own strict CSP (security-headers.ts), so no staticCSP: swagger-ui's `staticCSP: true`
  // replaced that header with a weaker one (`https:` styles and fonts, img from validator.swagger.io, framing by
  // 'self', upgrade-insecure-requests). BaseLayout drops the StandaloneLayout top bar, whose inline SVG logo carries
  // a <style> element that style-src 'self' blocks (a console error on every load) and whose URL box would load any
  // other document; no validator badge (it fetches validator.swagger.io).
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { layout: 'BaseLayout', validatorUrl: null },
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () =>
    app.swagger(),
  );
}
