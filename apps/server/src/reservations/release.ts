// POST /v1/reservations/{id}/release (docs/api.md §6) and the reads (GET /v1/reservations[/{id}]).
// Release order: the store drops the hold first, then PostgreSQL's row turns `released`. Either step failing is a
// 503 that a retry completes (dropping a hold twice is a no-op), and no state is left that under-counts: a row
// still `held` in PostgreSQL whose hold the store already dropped can only bring the hold back (a rebuild), the
// safe side, until it expires. (The reverse order would leave a hold counted in the store that PostgreSQL calls
// released — a retry could not fix it, and the reconciler would take it out of the counters while still held.)
// Releasing twice answers the same 200; releasing a committed (or declined) reservation is 409 conflict; an expired
// hold has nothing left to release: 200 with `status: expired`.

import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { decodeCursor, encodeCursor, isTimeIdCursor } from '../http/cursor.js';
import { ApiError, notFound, unavailable } from '../http/errors.js';
import { reservationJson } from './present.js';
import {
  COMMIT_CLAIM_STALE_MS,
  findReservation,
  listReservations,
  markReleased,
  type ReservationRow,
  type StoredStatus,
} from './repository.js';
import type { ReservationDeps } from './types.js';

export interface ReleaseOutcome {
  status: number;
  body: { reservation: ReturnType<typeof reservationJson> };
  /** true when the reservation had already been released (or had expired) before this request. */
  replayed: boolean;
}

export function createReleaseService(deps: Pick<ReservationDeps, 'db' | 'store' | 'metrics' | 'log'>) {
  const { db, store, metrics } = deps;

  const visible = async (principal: Principal, id: string): Promise<ReservationRow> => {
    const row = await findReservation(db, principal.customerId, id);
    if (!row) throw notFound('reservation');
    assertAgentAllowed(principal, row.agentId);
    return row;
  };

  const answer = (row: ReservationRow, now: number, replayed: boolean): ReleaseOutcome => ({
    status: 200,
    body: { reservation: reservationJson(row, now) },
    replayed,
  });

  return {
    async release(principal: Principal, id: string): Promise<ReleaseOutcome> {
      for (let attempt = 0; ; attempt++) {
        const now = Date.now();
        const row = await visible(principal, id);
        if (row.status === 'released' || row.status === 'expired') return answer(row, now, true);
        if (row.status === 'committed' || row.status === 'declined') {
          throw new ApiError('conflict', `This reservation was ${row.status}; it cannot be released.`, {
            field: 'status',
            status: row.status,
          });
        }
        if (row.expiresAt <= now) return answer(row, now, true);
        if (row.commitClaimedAt === null || row.commitClaimedAt < now - COMMIT_CLAIM_STALE_MS) {
          try {
            await store.releaseHold(principal.customerId, id, now);
          } catch (error) {
            metrics.storeErrors.inc({ store: store.kind, operation: 'release_hold' });
            deps.log.warn({ err: error, reservation: id }, 'release: the spend store is unreachable');
            throw unavailable();
          }
          if (await markReleased(db, principal.customerId, id, now)) {
            return answer({ ...row, status: 'released', finishedAt: now }, now, false);
          }
        }
        // Not released: a commit holds the claim (or just finished), or the hold expired this instant. Re-read once.
        if (attempt >= 1) {
          throw new ApiError('conflict', 'This reservation is being committed; it cannot be released.', {
            field: 'status',
            status: 'committing',
          });
        }
      }
    },

    async get(principal: Principal, id: string) {
      return { reservation: reservationJson(await visible(principal, id), Date.now()) };
    },

    async list(
      principal: Principal,
      q: {
        agentId: string | null;
        status: StoredStatus | null;
        limit: number;
        cursor: string | undefined;
      },
    ) {
      const now = Date.now();
      const rows = await listReservations(db, {
        customerId: principal.customerId,
        agentId: q.agentId,
        status: q.status,
        limit: q.limit,
        after: decodeCursor(q.cursor, isTimeIdCursor),
        now,
      });
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return {
        data: page.map((row) => reservationJson(row, now)),
        next_cursor:
          rows.length > q.limit && last
            ? encodeCursor([new Date(last.createdAt).toISOString(), last.id])
            : null,
      };
    },
  };
}
