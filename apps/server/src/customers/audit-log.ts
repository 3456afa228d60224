// GET /v1/audit-log (docs/api.md §7): the customer's audit entries, newest first, keyset pagination on id.

import type { Db } from '../db/types.js';
import { decodeCursor, pageOf } from '../http/cursor.js';

interface AuditRow {
  id: number | string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  before: unknown;
  after: unknown;
  created_at: Date | string;
}

const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export async function listAudit(db: Db, customerId: string, limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor, (v): v is string => typeof v === 'string' && /^[0-9]{1,18}$/.test(v));
  const { rows } = await db.query<AuditRow>(
    `SELECT id, actor_type, actor_id, action, target_type, target_id, before, after, created_at
     FROM audit_log WHERE customer_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
     ORDER BY id DESC LIMIT $3`,
    [customerId, after, limit + 1],
  );
  return pageOf(
    rows,
    limit,
    (r) => String(r.id),
    (r) => ({
      id: String(r.id),
      actor_type: r.actor_type,
      actor_id: r.actor_id,
      action: r.action,
      target_type: r.target_type,
      target_id: r.target_id,
      before: parse(r.before),
      after: parse(r.after),
      created_at: new Date(r.created_at).toISOString(),
    }),
  );
}
