// The gateway's services, built once by the composition root (context.ts): who calls (caller.ts), the SSRF-safe
// connection pool to the providers (upstream-dispatcher.ts), settling holds (settle.ts), the open streams the kill
// switch reaches (open-streams.ts), and the call pipeline itself (call.ts).
import type { FastifyBaseLogger } from 'fastify';
import type { AgentDirectory } from '../agents/directory.js';
import type { ApiKeyResolver } from '../auth/api-keys.js';
import type { Db } from '../db/types.js';
import type { Bus } from '../live/bus.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReservationServices } from '../reservations/service.js';
import type { SpendStore } from '../spend/store.js';
import { createGatewayCall } from './call.js';
import { createCallerResolver } from './caller.js';
import type { CredentialSource, GatewayDeps } from './deps.js';
import { createOpenStreams } from './open-streams.js';
import { createPassThrough } from './passthrough.js';
import { createSettler } from './settle.js';
import { createUpstreamDispatcher } from './upstream-dispatcher.js';

const MAX_MODEL_LABELS = 100;
/** How long a shutdown waits for stopped streams to commit their partial cost. */
const STOP_STREAMS_MS = 5_000;

export function createGatewayServices(base: {
  db: Db;
  bus: Bus;
  store: SpendStore;
  log: FastifyBaseLogger;
  metrics: Metrics;
  directory: AgentDirectory;
  reservations: ReservationServices;
  apiKeys: ApiKeyResolver;
  credentials: CredentialSource;
  allowPrivateUpstreams: boolean;
  onClose(fn: () => Promise<void>): void;
}) {
  const dispatcher = createUpstreamDispatcher({ allowPrivate: base.allowPrivateUpstreams });
  base.onClose(() => dispatcher.close());
  const openStreams = createOpenStreams({ bus: base.bus, store: base.store });
  base.onClose(() => openStreams.close());
  // A model name is the client's to choose: the label set is bounded so /metrics cannot be grown without limit.
  const models = new Set<string>();
  const modelLabel = (model: string) => {
    if (models.has(model)) return model;
    if (models.size >= MAX_MODEL_LABELS) return 'other';
    models.add(model);
    return model;
  };
  const deps: GatewayDeps = {
    db: base.db,
    directory: base.directory,
    reservations: base.reservations,
    credentials: base.credentials,
    dispatcher,
    settler: createSettler({ db: base.db, reservations: base.reservations, log: base.log }),
    openStreams,
    metrics: base.metrics,
    modelLabel,
  };
  return {
    ...createCallerResolver({ db: base.db, apiKeys: base.apiKeys }),
    call: createGatewayCall(deps),
    passThrough: createPassThrough(deps),
    dispatcher,
    credentials: base.credentials,
    /** At shutdown, before the HTTP server waits for open requests: ends every stream, commits what it cost. */
    stopStreams: () => openStreams.stopAll(STOP_STREAMS_MS),
  };
}

export type GatewayServices = ReturnType<typeof createGatewayServices>;
