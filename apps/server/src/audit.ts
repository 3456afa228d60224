// The audit log (docs/api.md §7): every change to limits, kill switch, keys and customer settings — who, what,
// before/after, when. Call it inside the same transaction as the change so the log can never disagree with it. A
// suspend or resume of an agent also writes its webhook alert here (webhooks/outbox.ts): every path that changes the
// kill switch audits it, so none can commit the change without its alert.
import type { Principal } from './auth/types.js';
import type { Queryable } from './db/types.js';
import { enqueueStatusAlert } from './webhooks/outbox.js';

const STATUS_ALERTS: Record<string, 'suspended' | 'resumed'> = {
  'agent.suspend': 'suspended',
  'agent.resume': 'resumed',
};

export interface AuditEntry {
  customerId: string;
  actor: Principal | { type: 'system' };
  action: string; // e.g. 'agent.suspend', 'agent.limits.update', 'api_key.create', 'customer.update'
  targetType: string; // 'agent' | 'api_key' | 'customer' | 'user'
  targetId: string | null;
  before?: unknown;
  after?: unknown;
}

function actorOf(actor: AuditEntry['actor']): { type: 'user' | 'api_key' | 'system'; id: string | null } {
  if (actor.type === 'user') return { type: 'user', id: actor.userId };
  if (actor.type === 'api_key') return { type: 'api_key', id: actor.keyId };
  return { type: 'system', id: null };
}

export async function recordAudit(q: Queryable, entry: AuditEntry): Promise<void> {
  const actor = actorOf(entry.actor);
  await q.query(
    `INSERT INTO audit_log (customer_id, actor_type, actor_id, action, target_type, target_id, before, after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      entry.customerId,
      actor.type,
      actor.id,
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.before === undefined ? null : JSON.stringify(entry.before),
      entry.after === undefined ? null : JSON.stringify(entry.after),
    ],
  );
  const change = STATUS_ALERTS[entry.action];
  if (change && entry.targetType === 'agent' && entry.targetId !== null) {
    await enqueueStatusAlert(q, entry.customerId, entry.targetId, change, actor);
  }
}
