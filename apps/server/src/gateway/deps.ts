// What the gateway's call pipeline is given (built in gateway/service.ts): its own file so the pipeline's parts
// (call.ts, passthrough.ts) and the factory that builds them do not import each other.
import type { Dispatcher } from 'undici';
import type { AgentDirectory } from '../agents/directory.js';
import type { Db } from '../db/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReservationServices } from '../reservations/service.js';
import type { ProviderName } from './endpoints/types.js';
import type { OpenStreams } from './open-streams.js';
import type { Settler } from './settle.js';
import type { Credential } from './upstream.js';

/** The customer's stored provider key (gateway/credentials.ts). */
export interface CredentialSource {
  credentialFor(customerId: string, provider: ProviderName): Promise<Credential | null>;
  markUsed(customerId: string, provider: ProviderName): void;
}

export interface GatewayDeps {
  db: Db;
  directory: AgentDirectory;
  reservations: ReservationServices;
  credentials: CredentialSource;
  dispatcher: Dispatcher;
  settler: Settler;
  openStreams: OpenStreams;
  metrics: Metrics;
  /** The model as a metrics label: the first 100 distinct names (service.ts), then 'other'. */
  modelLabel(model: string): string;
}
