// Budget engine services, built once per app: the spend store (Redis when configured, else in-process), the
// group-commit writer, the agent directory cache, agents/customer/event services and the reconciler.
// Close order (reverse of onClose registration): reconciler → writer drained → directory → store, so graceful
// shutdown commits every event already acknowledged or about to be.
import { type AgentDirectory, createAgentDirectory } from '../agents/directory.js';
import { type AgentService, createAgentService } from '../agents/service.js';
import type { AuthServices } from '../auth/services.js';
import type { BaseContext } from '../context.js';
import { type CustomerService, createCustomerService } from '../customers/service.js';
import { createEpochHistory } from './epochs.js';
import { createEventService, type EventService, type MoneyPathDeps } from './event-service.js';
import { createMemorySpendStore } from './memory-store.js';
import { createReconciler, type Reconciler } from './reconciler.js';
import { createRedisSpendStore } from './redis-store.js';
import type { SpendStore } from './store.js';
import { createEventWriter, type EventWriter } from './writer.js';

export interface SpendServices {
  store: SpendStore;
  writer: EventWriter;
  directory: AgentDirectory;
  agents: AgentService;
  customers: CustomerService;
  events: EventService;
  reconciler: Reconciler;
  /** What every money request needs (the reservation services are built from it too). */
  moneyPath: MoneyPathDeps;
}

export async function createSpendServices(
  base: BaseContext & { auth: AuthServices },
): Promise<SpendServices> {
  const store = base.redis
    ? createRedisSpendStore(base.redis, base.config.redisPrefix, createEpochHistory(base.db))
    : createMemorySpendStore();
  base.onClose(() => store.close());
  const directory = await createAgentDirectory({ db: base.db, bus: base.bus });
  base.onClose(() => directory.close());
  const writer = createEventWriter({ db: base.db, metrics: base.metrics, log: base.log });
  base.onClose(() => writer.close());
  // Background settling of uncertain commits stops at shutdown (after the writer drained): the reconciler of any
  // instance finishes what it left, from PostgreSQL's answer.
  const closing = new AbortController();
  base.onClose(async () => closing.abort());

  const agents = createAgentService({ db: base.db, store, bus: base.bus, metrics: base.metrics, directory });
  const customers = createCustomerService({ db: base.db, store, directory });
  const moneyPath = {
    db: base.db,
    store,
    writer,
    directory,
    bus: base.bus,
    metrics: base.metrics,
    log: base.log,
    closing: closing.signal,
    announceAgent: agents.announce,
  };
  const events = createEventService(moneyPath);
  const reconciler = createReconciler({ db: base.db, store, log: base.log });
  base.onClose(() => reconciler.close());
  return { store, writer, directory, agents, customers, events, reconciler, moneyPath };
}
