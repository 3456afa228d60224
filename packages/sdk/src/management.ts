// Management API (docs/api.md §7–§8): agents, kill switch and API keys. Needs an `admin` key
// (reading one agent also works with an `ingest` key).

import type { Transport } from './transport.js';
import type {
  AgentRecord,
  ApiKeyRecord,
  CreateAgentParams,
  CreateApiKeyParams,
  CreatedApiKey,
  ListAgentsParams,
  ListParams,
  ListReservationsParams,
  Page,
  ReservationRecord,
  UpdateAgentParams,
} from './types.js';
import { compact, limitsBody } from './wire.js';

const agentPath = (name: string): string => `/v1/agents/${encodeURIComponent(name)}`;

/** Every item of a paged list, following `next_cursor` page by page. */
async function* everyItem<T>(
  list: (params: ListParams) => Promise<Page<T>>,
  pageSize: number,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await list({ limit: pageSize, cursor });
    yield* page.data;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

export class AgentsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of the customer's agents with live spend; `archived: true` lists only the archived ones. */
  list(params: ListAgentsParams = {}): Promise<Page<AgentRecord>> {
    return this.transport.request('GET', '/v1/agents', {
      query: { limit: params.limit, cursor: params.cursor, archived: params.archived ? 'true' : undefined },
      retry: 'idempotent',
    });
  }

  /** Every agent, following `next_cursor` page by page. */
  all(pageSize = 100): AsyncGenerator<AgentRecord> {
    return everyItem((params) => this.list(params), pageSize);
  }

  get(name: string): Promise<AgentRecord> {
    return this.transport.request('GET', agentPath(name), { retry: 'idempotent' });
  }

  /** Creates an agent; a taken name is a `ConflictError`. */
  create(params: CreateAgentParams): Promise<AgentRecord> {
    const body = compact({ name: params.name, limits: params.limits && limitsBody(params.limits) });
    // Not idempotent on the server: retried only when it said nothing happened (429/503).
    return this.transport.request('POST', '/v1/agents', { body, retry: 'unsafe' });
  }

  /** Changes limits; effective for the very next event on every server instance. */
  update(name: string, params: UpdateAgentParams): Promise<AgentRecord> {
    // Setting the same limits twice ends in the same state, so retries are safe.
    return this.transport.request('PATCH', agentPath(name), {
      body: { limits: limitsBody(params.limits) },
      retry: 'idempotent',
    });
  }

  /** Flips the kill switch on (`suspended_reason: manual`). */
  suspend(name: string, note?: string): Promise<AgentRecord> {
    return this.transport.request('POST', `${agentPath(name)}/suspend`, {
      body: compact({ note }),
      retry: 'idempotent',
    });
  }

  /** Flips the kill switch off. */
  resume(name: string): Promise<AgentRecord> {
    return this.transport.request('POST', `${agentPath(name)}/resume`, { body: {}, retry: 'idempotent' });
  }

  /** Archives the agent: off the list, its events refused (404) and never re-created on the fly; history kept. */
  async archive(name: string): Promise<void> {
    await this.transport.request('DELETE', agentPath(name), { retry: 'idempotent' });
  }

  /** Brings an archived agent back. */
  restore(name: string): Promise<AgentRecord> {
    return this.transport.request('POST', `${agentPath(name)}/restore`, { body: {}, retry: 'idempotent' });
  }
}

export class ApiKeysApi {
  constructor(private readonly transport: Transport) {}

  /** Creates a key; the returned `key` is the only time the secret is shown. */
  create(params: CreateApiKeyParams): Promise<CreatedApiKey> {
    return this.transport.request('POST', '/v1/api-keys', {
      body: compact({ name: params.name, kind: params.kind, agent: params.agent }),
      retry: 'unsafe',
    });
  }

  /** One page of the customer's keys, without secrets. */
  async list(params: ListParams = {}): Promise<Page<ApiKeyRecord>> {
    const body = await this.transport.request<Page<ApiKeyRecord> | ApiKeyRecord[]>('GET', '/v1/api-keys', {
      query: { limit: params.limit, cursor: params.cursor },
      retry: 'idempotent',
    });
    // docs/api.md §8 leaves the list's envelope open; accept a bare array as one complete page.
    return Array.isArray(body) ? { data: body, next_cursor: null } : body;
  }

  /** Every key, following `next_cursor` page by page. */
  all(pageSize = 100): AsyncGenerator<ApiKeyRecord> {
    return everyItem((params) => this.list(params), pageSize);
  }

  /** Revokes a key at once on every server instance. */
  async revoke(id: string): Promise<void> {
    await this.transport.request('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`, { retry: 'idempotent' });
  }
}

/** Reading reservations (ingest or admin key); to create one use `Spendguard.reserve()`. */
export class ReservationsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of reservations, newest first; a held one past `expires_at` reads `expired`. */
  list(params: ListReservationsParams = {}): Promise<Page<ReservationRecord>> {
    return this.transport.request('GET', '/v1/reservations', {
      query: { agent: params.agent, status: params.status, limit: params.limit, cursor: params.cursor },
      retry: 'idempotent',
    });
  }

  async get(id: string): Promise<ReservationRecord> {
    const body = await this.transport.request<{ reservation: ReservationRecord }>(
      'GET',
      `/v1/reservations/${encodeURIComponent(id)}`,
      { retry: 'idempotent' },
    );
    return body.reservation;
  }
}
