// The reservation object of docs/api.md §6 as clients see it. A held reservation past its expires_at reads as `expired`:
// the spend store dropped the hold by itself at that moment, and the row is not rewritten for it.
import { formatUsd } from '../budget/money.js';
import { isoOrNull } from '../time.js';
import type { ReservationRow, StoredStatus } from './repository.js';

function effectiveStatus(row: Pick<ReservationRow, 'status' | 'expiresAt'>, now: number): StoredStatus {
  return row.status === 'held' && row.expiresAt <= now ? 'expired' : row.status;
}

export function reservationJson(
  row: Pick<
    ReservationRow,
    'id' | 'agentName' | 'runId' | 'amountMicros' | 'status' | 'declineCode' | 'expiresAt' | 'createdAt'
  > &
    Partial<Pick<ReservationRow, 'finishedAt' | 'eventId'>>,
  now: number,
) {
  const status = effectiveStatus(row, now);
  return {
    id: row.id,
    agent: row.agentName,
    run: row.runId,
    amount_micros: row.amountMicros,
    amount_usd: formatUsd(row.amountMicros),
    status,
    ...(row.declineCode ? { decline_code: row.declineCode } : {}),
    expires_at: new Date(row.expiresAt).toISOString(),
    created_at: new Date(row.createdAt).toISOString(),
    finished_at: isoOrNull(row.finishedAt ?? (status === 'expired' ? row.expiresAt : null)),
    event_id: row.eventId ?? null,
  };
}
