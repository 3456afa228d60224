// The outbox (docs/api.md §13): an alert is written in the same PostgreSQL transaction as the change it reports, with
// one pending delivery per endpoint of the customer subscribed to its type at that moment — a committed change always
// has its alert, a rolled-back one never. The delivery workers (worker.ts) send them.
import { agentToJson } from '../agents/present.js';
import { findAgentById } from '../agents/repository.js';
import type { Queryable } from '../db/types.js';
import { newId } from '../ids.js';
import type { WebhookEventType } from './types.js';

/** Who made a change, as alerts name it: `actor` of agent.suspended / agent.resumed. */
export interface AlertActor {
  type: 'user' | 'api_key' | 'system';
  id: string | null;
}

/** Writes the alert and its deliveries; returns the alert's id. One statement. */
export async function enqueueAlert(
  tx: Queryable,
  customerId: string,
  type: WebhookEventType,
  data: unknown,
  options: { endpointId?: string } = {},
): Promise<string> {
  const id = newId('whevt');
  const body = JSON.stringify({ id, type, created_at: new Date().toISOString(), data });
  await tx.query(
    `WITH alert AS (
       INSERT INTO webhook_events (id, customer_id, type, body) VALUES ($1, $2, $3, $4) RETURNING id)
     INSERT INTO webhook_deliveries (id, customer_id, endpoint_id, event_id)
     SELECT 'whdel_' || replace(gen_random_uuid()::text, '-', ''), $2, e.id, (SELECT id FROM alert)
       FROM webhook_endpoints e
      WHERE e.customer_id = $2 AND e.deleted_at IS NULL
        AND ($5::text IS NULL AND $3 = ANY (e.events) OR e.id = $5::text)`,
    [id, customerId, type, body, options.endpointId ?? null],
  );
  return id;
}

/**
 * agent.suspended / agent.resumed for a status change audited in `tx` (audit.ts calls this beside its entry, so every
 * suspension — a person's, a key's, a limit's — and every resume alerts in the same transaction). The agent object is
 * PostgreSQL's row as the API presents it, without `spend`: the live counters are not part of the transaction.
 */
export async function enqueueStatusAlert(
  tx: Queryable,
  customerId: string,
  agentId: string,
  change: 'suspended' | 'resumed',
  actor: AlertActor,
): Promise<void> {
  const row = await findAgentById(tx, customerId, agentId);
  if (!row) return;
  const { spend: _spend, ...agent } = agentToJson(row, undefined, Date.now());
  const actorJson = actor.id === null ? { type: actor.type } : { type: actor.type, id: actor.id };
  const data =
    change === 'suspended'
      ? { agent, reason: row.suspended_reason, actor: actorJson }
      : { agent, actor: actorJson };
  await enqueueAlert(tx, customerId, change === 'suspended' ? 'agent.suspended' : 'agent.resumed', data);
}
