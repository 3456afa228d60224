-- Reservations (docs/api.md §6), beyond the v1 table:
-- * a declined reservation request is kept (status 'declined', its 403 in response_body) so the same
--   Idempotency-Key replays that 403, as a declined event does;
-- * a commit first claims the row (commit_claimed_at + the hash of its body), so concurrent or retried commits of
--   one reservation, on any instance, count the real cost exactly once, and a second commit with another body is
--   told apart from a retry.
ALTER TABLE reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE reservations ADD CONSTRAINT reservations_status_check
  CHECK (status IN ('held', 'committed', 'released', 'expired', 'declined'));
ALTER TABLE reservations ADD COLUMN decline_code text;
ALTER TABLE reservations ADD COLUMN commit_request_hash text;
ALTER TABLE reservations ADD COLUMN commit_claimed_at timestamptz;
-- GET /v1/reservations: newest first per customer or per agent (keyset pagination on (created_at, id)).
CREATE INDEX reservations_customer_created ON reservations (customer_id, created_at DESC, id DESC);
CREATE INDEX reservations_agent_created ON reservations (agent_id, created_at DESC, id DESC);
