// In-process cache of what the hot path needs about agents and customers without reading PostgreSQL per event:
// (customer, agent name) → agent id, customer → settings. Agents are never renamed or deleted, so the id mapping never
// goes stale; settings and archiving may change, so every change publishes an invalidation that every instance
// hears, and entries expire after CACHE_TTL_MS as a backstop for a lost pub/sub message. A fill that started before
// an invalidation is not kept (a generation count per key), so a slow read can never put an old value back right
// after a change. Nothing that decides money reads from here: decisions read the spend store (written through, by
// version), and auto-creating an agent re-reads the customer's settings in its own transaction.
import { recordAudit } from '../audit.js';
import { type CustomerSettings, loadCustomer } from '../customers/repository.js';
import type { Db, Queryable } from '../db/types.js';
import { notFound, unauthenticated } from '../http/errors.js';
import { newId } from '../ids.js';
import type { Bus } from '../live/bus.js';
import type { AgentLimits } from '../spend/store.js';
import { limitsToJson } from './limits.js';
import { INVALIDATE_CHANNEL, type InvalidateMessage } from './live-channel.js';
import { type AgentRow, findAgentByName, insertAgent, rowLimits } from './repository.js';

const CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;

export interface AgentInfo {
  id: string;
  customerId: string;
  name: string;
  limits: AgentLimits;
  /** Archived (DELETE /v1/agents/{name}): its events are refused and it is not created again until restored. */
  archived: boolean;
}

const infoOf = (row: AgentRow): AgentInfo => ({
  id: row.id,
  customerId: row.customer_id,
  name: row.name,
  limits: rowLimits(row),
  archived: row.archived_at !== null,
});

interface Cached<T> {
  value: T;
  expires: number;
}

/** Who asks for an agent that may be created: the API key, re-checked for revocation where the agent is inserted. */
export interface Creator {
  apiKeyId: string | null;
}

export interface AgentDirectory {
  /**
   * The agent an event or reservation is for, created with the customer's default limits if it is unknown and
   * auto_create_agents is on. An archived agent is returned as it is (`archived`), never created again.
   */
  resolve(customerId: string, name: string, creator?: Creator): Promise<AgentInfo>;
  /** The agent if it exists (archived ones included: the caller decides); never creates one. */
  find(customerId: string, name: string): Promise<AgentInfo | null>;
  customer(customerId: string): Promise<CustomerSettings>;
  /** Forget cached settings here and on every other instance. */
  invalidate(message: InvalidateMessage): Promise<void>;
  close(): Promise<void>;
}

export async function createAgentDirectory(deps: { db: Db; bus: Bus }): Promise<AgentDirectory> {
  const agents = new Map<string, Cached<AgentInfo>>();
  const customers = new Map<string, Cached<CustomerSettings>>();
  const keyOf = (customerId: string, name: string) => `${customerId}\u0000${name}`;
  // Bumped by every invalidation of a customer (its settings or any of its agents): a fill keeps its value only if
  // no invalidation of that customer happened while it was reading.
  const generations = new Map<string, number>();
  const generation = (customerId: string) => generations.get(customerId) ?? 0;

  const forget = (m: InvalidateMessage) => {
    if (!m || typeof m.customerId !== 'string') return;
    generations.set(m.customerId, generation(m.customerId) + 1);
    if (generations.size > MAX_ENTRIES) generations.clear();
    if (m.agentId === undefined) customers.delete(m.customerId);
    else for (const [k, v] of agents) if (v.value.id === m.agentId) agents.delete(k);
  };
  const unsubscribe = await deps.bus.subscribe(INVALIDATE_CHANNEL, (m) => forget(m as InvalidateMessage));

  const remember = <T>(
    map: Map<string, Cached<T>>,
    key: string,
    value: T,
    customerId: string,
    filledFrom: number,
  ) => {
    if (generation(customerId) !== filledFrom) return; // invalidated while reading: the value may be old
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, { value, expires: Date.now() + CACHE_TTL_MS });
  };

  const customer = async (customerId: string): Promise<CustomerSettings> => {
    const hit = customers.get(customerId);
    if (hit && hit.expires > Date.now()) return hit.value;
    const filledFrom = generation(customerId);
    const settings = await loadCustomer(deps.db, customerId);
    if (!settings) throw notFound('customer');
    remember(customers, customerId, settings, customerId, filledFrom);
    return settings;
  };

  const create = async (customerId: string, name: string, creator?: Creator): Promise<AgentInfo> => {
    // INSERT ... ON CONFLICT DO NOTHING, then SELECT: concurrent first events create the agent exactly once and
    // none of them fails because another one won. The settings are read in the same transaction under a share
    // lock (a PATCH of them holds FOR UPDATE): a PATCH that answered turning auto-creation off is always seen.
    const row = await deps.db.transaction(async (tx) => {
      const settings = await loadCustomer(tx, customerId, 'share');
      if (!settings) throw notFound('customer');
      if (!settings.autoCreateAgents) throw notFound('agent');
      // The key may come from an instance's own cache (auth/api-keys.ts), checked for revocation only by the
      // decision that follows: creating is a change of its own, so PostgreSQL checks it here, under a share lock that
      // orders it with a revocation (which locks the row FOR UPDATE).
      if (creator?.apiKeyId) await assertKeyLive(tx, creator.apiKeyId);
      const created = await insertAgent(tx, {
        id: newId('agt'),
        customerId,
        name,
        limits: settings.defaultAgentLimits,
        autoCreated: true,
      });
      if (created) {
        await recordAudit(tx, {
          customerId,
          actor: { type: 'system' },
          action: 'agent.create',
          targetType: 'agent',
          targetId: created.id,
          after: { name, limits: limitsToJson(settings.defaultAgentLimits), auto_created: true },
        });
      }
      return created;
    });
    const final = row ?? (await findAgentByName(deps.db, customerId, name));
    if (!final) throw notFound('agent');
    return infoOf(final);
  };

  return {
    async find(customerId, name) {
      const key = keyOf(customerId, name);
      const hit = agents.get(key);
      if (hit && hit.expires > Date.now()) return hit.value;
      const filledFrom = generation(customerId);
      const row = await findAgentByName(deps.db, customerId, name);
      if (!row) return null;
      const info = infoOf(row);
      remember(agents, key, info, customerId, filledFrom);
      return info;
    },
    async resolve(customerId, name, creator) {
      const key = keyOf(customerId, name);
      const hit = agents.get(key);
      if (hit && hit.expires > Date.now()) return hit.value;
      const filledFrom = generation(customerId);
      const row = await findAgentByName(deps.db, customerId, name);
      // An archived agent exists: it is returned (the caller refuses it), never created again.
      const info = row ? infoOf(row) : await create(customerId, name, creator);
      remember(agents, key, info, customerId, filledFrom);
      return info;
    },
    customer,
    async invalidate(message) {
      forget(message);
      await deps.bus.publish(INVALIDATE_CHANNEL, message).catch(() => {});
    },
    async close() {
      await unsubscribe().catch(() => {});
    },
  };
}

async function assertKeyLive(tx: Queryable, apiKeyId: string): Promise<void> {
  const { rows } = await tx.query<{ revoked: boolean }>(
    'SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = $1 FOR SHARE',
    [apiKeyId],
  );
  if (!rows[0] || rows[0].revoked) throw unauthenticated();
}
