// buildApp(): the whole HTTP application without listen(), so tests and main.ts build it the same way.
// Order is dependency order: Fastify core settings → security/HTTP plugins → OpenAPI → auth → routes.
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Redis } from 'ioredis';
import { registerAuth } from './auth/plugin.js';
import type { Config } from './config.js';
import { type AppContext, createContext } from './context.js';
import type { Db } from './db/types.js';
import { frameworkErrors, registerErrorHandling } from './http/errors-plugin.js';
import { registerOpenApi } from './http/openapi.js';
import type { LogFields } from './http/request-input.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerStoredTextCheck } from './http/stored-text.js';
import { checkDeclaredStatuses, serializerCompiler, validatorCompiler } from './http/validation.js';
import { type Bus, createMemoryBus, createRedisBus } from './live/bus.js';
import { observeHttpRequests } from './observability/http-metrics.js';
import { loggerOptions } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { countRedisCommands } from './observability/redis-commands.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { anthropicGatewayRoutes } from './routes/llm/anthropic.js';
import { openAIGatewayRoutes } from './routes/llm/openai.js';
import { metricsRoutes } from './routes/metrics.js';
import { agentRoutes } from './routes/v1/agents.js';
import { apiKeyRoutes } from './routes/v1/api-keys.js';
import { auditLogRoutes } from './routes/v1/audit-log.js';
import { authRoutes } from './routes/v1/auth.js';
import { customerRoutes } from './routes/v1/customer.js';
import { eventRoutes } from './routes/v1/events.js';
import { priceRoutes } from './routes/v1/prices.js';
import { providerRoutes } from './routes/v1/providers.js';
import { reservationRoutes } from './routes/v1/reservations.js';
import { streamRoutes } from './routes/v1/stream.js';
import { userRoutes } from './routes/v1/users.js';
import { webhookRoutes } from './routes/v1/webhooks.js';
import { declareGenericErrors } from './schemas/common.js';

export const DEFAULT_BODY_LIMIT = 64 * 1024;
const MAX_PATH_SEGMENT = 3 * 128;
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const DASHBOARD_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard', 'dist');

export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis | undefined;
  /** Tests pass a logger writing to a buffer to check redaction; default: pino to stdout. */
  logger?: FastifyBaseLogger;
  dashboardDistDir?: string;
}

export type SpendguardApp = FastifyInstance & { ctx: AppContext };

export async function buildApp(deps: AppDeps): Promise<SpendguardApp> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: loggerOptions(deps.config.logLevel) }),
    bodyLimit: DEFAULT_BODY_LIMIT,
    trustProxy: deps.config.trustProxy,
    requestTimeout: 30_000,
    // One log line per request is written in onResponse below, with the fields an operator needs.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    // A path segment may be as long as the longest name (128 characters, up to three bytes each when
    // percent-encoded); longer ones answer 404 through frameworkErrors, in the API's error envelope.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_SEGMENT },
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler(deps.config.checkResponses));
  if (deps.config.checkResponses) checkDeclaredStatuses(app);
  // JSON only: Fastify's built-in text/plain parser would hand a string to the schema (a 400) where the
  // contract says 415 unsupported_media_type.
  app.removeContentTypeParser('text/plain');

  const closers: Array<() => Promise<void>> = [];
  const metrics = createMetrics();
  if (deps.redis) countRedisCommands(deps.redis, metrics);
  const bus: Bus = deps.redis
    ? createRedisBus(deps.redis, `${deps.config.redisPrefix}:bus`)
    : createMemoryBus();
  closers.push(() => bus.close());
  const ctx = await createContext({
    config: deps.config,
    db: deps.db,
    redis: deps.redis,
    bus,
    log: app.log,
    metrics,
    onClose: (fn) => closers.push(fn),
  });
  app.decorate('ctx', ctx);
  // Runs after the server stopped accepting connections: drain writers, then close the bus.
  app.addHook('onClose', async () => {
    for (const close of closers.reverse()) await close();
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const principal = request.principal;
    const { logAgent, logOutcome } = request as LogFields;
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        customer: principal?.customerId,
        agent: logAgent,
        outcome: logOutcome,
      },
      'request',
    );
  });

  observeHttpRequests(app, ctx.metrics);

  registerErrorHandling(app);
  registerSecurityHeaders(app);
  registerStoredTextCheck(app);
  await app.register(fastifyCookie, { secret: deps.config.sessionSecret });
  app.addHook('onRoute', declareGenericErrors);
  await registerOpenApi(app);

  registerAuth(app, ctx);

  await app.register(async (scope) => healthRoutes(scope, ctx));
  await app.register(async (scope) => metricsRoutes(scope, ctx));
  for (const routes of [
    authRoutes,
    userRoutes,
    apiKeyRoutes,
    customerRoutes,
    agentRoutes,
    eventRoutes,
    reservationRoutes,
    priceRoutes,
    providerRoutes,
    webhookRoutes,
    auditLogRoutes,
    streamRoutes,
  ]) {
    await app.register(async (scope) => routes(scope, ctx));
  }
  // The gateway's scopes carry their own error handler and 404 (the provider's wire format, not the API envelope).
  // At shutdown its open streams end first (an error frame, their partial cost committed while the writer still runs),
  // so a long generation does not hold the server open.
  app.addHook('preClose', () => ctx.gateway.stopStreams());
  await app.register(async (scope) => openAIGatewayRoutes(scope, ctx), { prefix: '/llm/openai/v1' });
  await app.register(async (scope) => anthropicGatewayRoutes(scope, ctx), { prefix: '/llm/anthropic/v1' });
  await app.register(async (scope) =>
    dashboardRoutes(scope, { distDir: deps.dashboardDistDir ?? DASHBOARD_DIST }),
  );

  await app.ready();
  return app as unknown as SpendguardApp;
}
