// PostgreSQL access for webhooks (migration 012): endpoints, their delivery log, and the workers' claim of due
// deliveries.
import type { Db, Queryable } from '../db/types.js';
import { newId } from '../ids.js';
import { epochMs, epochMsOrNull, isoOrNull } from '../time.js';
import type { DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEventType } from './types.js';

interface EndpointRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: unknown;
}

const endpointOf = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  url: r.url,
  events: r.events,
  description: r.description,
  createdAt: epochMs(r.created_at),
});

/**
 * Inserts the endpoint unless the customer already has `max` live ones (then null). In the caller's transaction,
 * under a lock per customer, so concurrent creations cannot pass the count together.
 */
export async function insertEndpoint(
  tx: Queryable,
  customerId: string,
  input: { url: string; events: WebhookEventType[]; description: string | null; secret: string },
  max: number,
): Promise<WebhookEndpoint | null> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints'), hashtext($1))`, [customerId]);
  const { rows } = await tx.query<EndpointRow>(
    `INSERT INTO webhook_endpoints (id, customer_id, url, events, description, secret)
     SELECT $1, $2, $3, $4::text[], $5, $6
      WHERE (SELECT count(*) FROM webhook_endpoints WHERE customer_id = $2 AND deleted_at IS NULL) < $7
     RETURNING id, url, events, description, created_at`,
    [newId('wh'), customerId, input.url, input.events, input.description, input.secret, max],
  );
  return rows[0] ? endpointOf(rows[0]) : null;
}

/** The customer's live endpoints by id, after `afterId`. */
export async function listEndpoints(
  db: Queryable,
  customerId: string,
  afterId: string | null,
  limit: number,
): Promise<WebhookEndpoint[]> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT id, url, events, description, created_at FROM webhook_endpoints
      WHERE customer_id = $1 AND deleted_at IS NULL AND ($2::text IS NULL OR id > $2::text)
      ORDER BY id LIMIT $3`,
    [customerId, afterId, limit],
  );
  return rows.map(endpointOf);
}

/** The endpoint if it is the customer's; `deleted` ones too when asked (their delivery log stays readable). */
export async function findEndpoint(
  db: Queryable,
  customerId: string,
  id: string,
  options: { deleted?: boolean } = {},
): Promise<WebhookEndpoint | null> {
  const { rows } = await db.query<EndpointRow>(
    `SELECT id, url, events, description, created_at FROM webhook_endpoints
      WHERE customer_id = $1 AND id = $2 AND ($3 OR deleted_at IS NULL)`,
    [customerId, id, options.deleted ?? false],
  );
  return rows[0] ? endpointOf(rows[0]) : null;
}

/** Deletes it (no new deliveries; pending ones end as failed at their next attempt). false: not the customer's. */
export async function deleteEndpoint(db: Queryable, customerId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE webhook_endpoints SET deleted_at = now() WHERE customer_id = $1 AND id = $2 AND deleted_at IS NULL`,
    [customerId, id],
  );
  return rowCount > 0;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  type: string;
  attempt: number;
  status: DeliveryStatus;
  response_status: number | null;
  error: string | null;
  created_at: unknown;
  next_attempt_at: unknown;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, ev.type, d.attempt, d.status, d.response_status, d.error, d.created_at,
  d.next_attempt_at`;

const deliveryOf = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  eventId: r.event_id,
  type: r.type,
  attempt: r.attempt,
  status: r.status,
  responseStatus: r.response_status,
  error: r.error,
  createdAt: epochMs(r.created_at),
  nextAttemptAt: r.status === 'pending' ? epochMsOrNull(r.next_attempt_at) : null,
});

/** The endpoint's deliveries, newest first, after the keyset cursor (created_at, id). */
export async function listDeliveries(
  db: Queryable,
  customerId: string,
  endpointId: string,
  afterId: string | null,
  limit: number,
): Promise<WebhookDelivery[] | null> {
  if (afterId !== null && !(await rowExists(db, 'webhook_deliveries', customerId, afterId))) return null;
  const { rows } = await db.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id
      WHERE d.customer_id = $1 AND d.endpoint_id = $2
        AND ($3::text IS NULL OR (d.created_at, d.id) < (SELECT created_at, id FROM webhook_deliveries
                                                         WHERE id = $3 AND customer_id = $1))
      ORDER BY d.created_at DESC, d.id DESC LIMIT $4`,
    [customerId, endpointId, afterId, limit],
  );
  return rows.map(deliveryOf);
}

/**
 * Whether `id` is a row of this customer in `table`. A page cursor names the last row seen and the next page continues
 * below its (created_at, id) as PostgreSQL stores it, to the microsecond: alerts written in one transaction share
 * created_at, and a millisecond timestamp in the cursor would skip the rest of them.
 */
async function rowExists(
  db: Queryable,
  table: 'webhook_deliveries' | 'webhook_events',
  customerId: string,
  id: string,
): Promise<boolean> {
  const { rows } = await db.query(`SELECT 1 FROM ${table} WHERE id = $1 AND customer_id = $2`, [
    id,
    customerId,
  ]);
  return rows.length > 0;
}

/** An alert as the in-app list shows it: the body every delivery of it sends, parsed. */
export interface AlertRecord {
  id: string;
  type: string;
  created_at: string;
  data: unknown;
}

/**
 * The customer's alerts, newest first, whether or not an endpoint received them (docs/api.md §13 GET /v1/alerts);
 * test pings are not alerts.
 */
export async function listAlerts(
  db: Queryable,
  customerId: string,
  afterId: string | null,
  limit: number,
): Promise<AlertRecord[] | null> {
  if (afterId !== null && !(await rowExists(db, 'webhook_events', customerId, afterId))) return null;
  const { rows } = await db.query<{ body: string }>(
    `SELECT body FROM webhook_events
      WHERE customer_id = $1 AND type <> 'webhook.test'
        AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM webhook_events
                                                     WHERE id = $2 AND customer_id = $1))
      ORDER BY created_at DESC, id DESC LIMIT $3`,
    [customerId, afterId, limit],
  );
  return rows.map((r) => JSON.parse(r.body) as AlertRecord);
}

/** Makes a delivery due now again (also a delivered or failed one); null when it is not this endpoint's. */
export async function retryDelivery(
  db: Queryable,
  customerId: string,
  endpointId: string,
  id: string,
): Promise<WebhookDelivery | null> {
  const { rows } = await db.query<DeliveryRow>(
    `WITH d AS (
       UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()
        WHERE customer_id = $1 AND endpoint_id = $2 AND id = $3
        RETURNING *)
     SELECT ${DELIVERY_COLUMNS} FROM d JOIN webhook_events ev ON ev.id = d.event_id`,
    [customerId, endpointId, id],
  );
  return rows[0] ? deliveryOf(rows[0]) : null;
}

/** One attempt a worker has claimed: what to send where. */
export interface ClaimedAttempt {
  id: string;
  attempt: number;
  eventId: string;
  url: string;
  secret: string;
  endpointDeleted: boolean;
  body: string;
}

/**
 * Claims up to `limit` due deliveries for one attempt each: FOR UPDATE SKIP LOCKED, so two instances never take the
 * same row, and in the same statement the attempt is counted and the row pushed `leaseMs` into the future — while it
 * is being sent nobody else takes it; if this worker dies, it is due again after the lease.
 */
export async function claimDue(db: Db, limit: number, leaseMs: number): Promise<ClaimedAttempt[]> {
  const { rows } = await db.query<{
    id: string;
    attempt: number;
    event_id: string;
    url: string;
    secret: string;
    deleted: boolean;
    body: string;
  }>(
    `WITH claimed AS (
       UPDATE webhook_deliveries d
          SET attempt = d.attempt + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE d.id IN (SELECT id FROM webhook_deliveries
                        WHERE status = 'pending' AND next_attempt_at <= now()
                        ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.attempt, d.event_id, d.endpoint_id)
     SELECT c.id, c.attempt, c.event_id, e.url, e.secret, e.deleted_at IS NOT NULL AS deleted, ev.body
       FROM claimed c JOIN webhook_endpoints e ON e.id = c.endpoint_id JOIN webhook_events ev ON ev.id = c.event_id`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    id: r.id,
    attempt: r.attempt,
    eventId: r.event_id,
    url: r.url,
    secret: r.secret,
    endpointDeleted: r.deleted,
    body: r.body,
  }));
}

/**
 * What an attempt came to. Only the worker that claimed this attempt records it (`attempt` must still be the row's):
 * one that took longer than its lease, after another worker claimed the next attempt, changes nothing.
 */
export async function recordAttempt(
  db: Queryable,
  claimed: { id: string; attempt: number },
  result: {
    status: DeliveryStatus;
    responseStatus: number | null;
    error: string | null;
    nextAttemptAt: number | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET status = $3, response_status = $4, error = $5,
            next_attempt_at = COALESCE($6::timestamptz, next_attempt_at)
      WHERE id = $1 AND attempt = $2`,
    [
      claimed.id,
      claimed.attempt,
      result.status,
      result.responseStatus,
      result.error,
      isoOrNull(result.nextAttemptAt),
    ],
  );
}

/** Queue depth and the oldest due delivery's age, for /metrics. */
export async function queueStats(db: Queryable): Promise<{ pending: number; oldestDueSeconds: number }> {
  const { rows } = await db.query<{ pending: number; oldest: number | null }>(
    `SELECT count(*)::int AS pending,
            EXTRACT(EPOCH FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now()))::float8 AS oldest
       FROM webhook_deliveries WHERE status = 'pending'`,
  );
  return { pending: rows[0]?.pending ?? 0, oldestDueSeconds: rows[0]?.oldest ?? 0 };
}
