// The composition root: every service of the app, built once per app by buildApp(), in dependency order, in this one
// place. Close order is the reverse of onClose registration: reconciler → writer drained → directory → store, so a
// graceful shutdown commits every event already acknowledged or about to be.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { type AgentDirectory, createAgentDirectory } from './agents/directory.js';
import { type AgentService, createAgentService } from './agents/service.js';
import { type AccountService, createAccountService } from './auth/accounts.js';
import { type ApiKeyService, createApiKeyService } from './auth/api-key-service.js';
import { type ApiKeyResolver, createApiKeyResolver, type RevocationMarkers } from './auth/api-keys.js';
import { type BruteForceGuard, createBruteForceGuard } from './auth/brute-force.js';
import { createMemoryAttemptCounter, createRedisAttemptCounter } from './auth/rate-limit.js';
import { createSessionStore, type SessionStore } from './auth/sessions.js';
import { createTeamService, type TeamService } from './auth/team.js';
import type { Config } from './config.js';
import { type CustomerService, createCustomerService } from './customers/service.js';
import type { Db } from './db/types.js';
import { type CredentialService, createCredentialService } from './gateway/credentials.js';
import { createGatewayServices, type GatewayServices } from './gateway/service.js';
import type { Bus } from './live/bus.js';
import type { Metrics } from './observability/metrics.js';
import { createReservationServices, type ReservationServices } from './reservations/service.js';
import { createEpochHistory } from './spend/epochs.js';
import { createEventService, type EventService, type MoneyPathDeps } from './spend/event-service.js';
import { createMemorySpendStore } from './spend/memory-store.js';
import { createReconciler, type Reconciler } from './spend/reconciler.js';
import { createRedisSpendStore } from './spend/redis-store.js';
import type { SpendStore } from './spend/store.js';
import { createEventWriter, type EventWriter } from './spend/writer.js';
import { createWebhookService, type WebhookService } from './webhooks/service.js';
import { createWebhookWorker } from './webhooks/worker.js';

/** What the app is given: configuration, connections, the bus, the logger and metrics. */
export interface BaseContext {
  config: Config;
  db: Db;
  redis: Redis | undefined;
  bus: Bus;
  log: FastifyBaseLogger;
  metrics: Metrics;
  /** Registers cleanup run when the app closes (after the HTTP server stopped accepting requests), in reverse order. */
  onClose(fn: () => Promise<void>): void;
}

export interface AuthServices {
  sessions: SessionStore;
  /** Resolves a presented key to its principal, with the revocation-safe shared cache. */
  apiKeys: ApiKeyResolver;
  bruteForce: BruteForceGuard;
  accounts: AccountService;
  team: TeamService;
  keys: ApiKeyService;
}

export interface SpendServices {
  store: SpendStore;
  writer: EventWriter;
  directory: AgentDirectory;
  agents: AgentService;
  customers: CustomerService;
  events: EventService;
  reservations: ReservationServices;
  reconciler: Reconciler;
  /** What every money request needs (the reservation services are built from it too). */
  moneyPath: MoneyPathDeps;
}

export interface AppContext extends BaseContext {
  auth: AuthServices;
  spend: SpendServices;
  /** The LLM gateway's provider credentials (docs/api.md §12): the /v1/providers routes and the gateway's reads. */
  providers: CredentialService;
  /** The LLM gateway's call pipeline (docs/api.md §12, gateway/service.ts). */
  gateway: GatewayServices;
  /** Webhook endpoints, their delivery log, and this instance's delivery worker (docs/api.md §13). */
  webhooks: WebhookService;
}

function createAuthServices(base: BaseContext, markers: RevocationMarkers): AuthServices {
  const { db, redis, config, log } = base;
  const counter = redis
    ? createRedisAttemptCounter(redis, `${config.redisPrefix}:rl`, log)
    : createMemoryAttemptCounter();
  const sessions = createSessionStore(db);
  const apiKeys = createApiKeyResolver({ db, redis, redisPrefix: config.redisPrefix, markers, log });
  const bruteForce = createBruteForceGuard(counter);
  return {
    sessions,
    apiKeys,
    bruteForce,
    accounts: createAccountService({
      db,
      sessions,
      bruteForce,
      defaultAgentMonthMicros: config.defaultAgentMonthMicros,
      signup: config.signup,
    }),
    team: createTeamService({ db, publicUrl: config.publicUrl }),
    keys: createApiKeyService({ db, resolver: apiKeys, log }),
  };
}

async function createSpendServices(base: BaseContext): Promise<SpendServices> {
  const { db, redis, config, bus, metrics, log } = base;
  const store = redis
    ? createRedisSpendStore(redis, config.redisPrefix, createEpochHistory(db))
    : createMemorySpendStore();
  base.onClose(() => store.close());
  const directory = await createAgentDirectory({ db, bus });
  base.onClose(() => directory.close());
  const writer = createEventWriter({ db, metrics, log });
  base.onClose(() => writer.close());
  // Background settling of uncertain commits stops at shutdown (after the writer drained): the reconciler of any
  // instance finishes what it left, from PostgreSQL's answer.
  const closing = new AbortController();
  base.onClose(async () => closing.abort());

  const agents = createAgentService({ db, store, bus, metrics, directory });
  const customers = createCustomerService({ db, store, directory });
  const moneyPath: MoneyPathDeps = {
    db,
    store,
    writer,
    directory,
    bus,
    metrics,
    log,
    closing: closing.signal,
    announceAgent: agents.announce,
  };
  const events = createEventService(moneyPath);
  const reservations = createReservationServices(moneyPath);
  const reconciler = createReconciler({ db, store, log });
  base.onClose(() => reconciler.close());
  return { store, writer, directory, agents, customers, events, reservations, reconciler, moneyPath };
}

export async function createContext(base: BaseContext): Promise<AppContext> {
  const spend = await createSpendServices(base);
  // A revoked key's marker goes to the spend store, whose decisions check it (auth/api-keys.ts).
  const auth = createAuthServices(base, spend.store);
  // At start it refuses stored credentials it could never decrypt, and re-encrypts those under a previous key.
  const providers = await createCredentialService({
    db: base.db,
    bus: base.bus,
    config: base.config,
    log: base.log,
  });
  base.onClose(() => providers.close());
  // Built last, closed first (onClose runs in reverse): its open streams were already ended at preClose (app.ts),
  // their partial costs committed while the writer still ran; here only its connection pool closes.
  const gateway = createGatewayServices({
    db: base.db,
    bus: base.bus,
    store: spend.store,
    log: base.log,
    metrics: base.metrics,
    directory: spend.directory,
    reservations: spend.reservations,
    apiKeys: auth.apiKeys,
    credentials: providers,
    allowPrivateUpstreams: base.config.allowPrivateUpstreams,
    onClose: base.onClose,
  });
  // Closed before the stores (onClose runs in reverse): an attempt in flight records its outcome first.
  const worker = createWebhookWorker({
    db: base.db,
    metrics: base.metrics,
    log: base.log,
    allowPrivate: base.config.webhookAllowPrivate,
  });
  base.onClose(() => worker.close());
  const webhooks = createWebhookService({
    db: base.db,
    worker,
    allowPrivate: base.config.webhookAllowPrivate,
  });
  return { ...base, auth, spend, providers, gateway, webhooks };
}
