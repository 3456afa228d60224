-- Loop detection (docs/api.md §7): an agent's `repeats` limit, and the `fingerprint` of events and reservations it
-- counts.
--
-- * repeats_max / repeats_window_seconds: more than repeats_max requests with one fingerprint within the window is
--   403 loop_detected and flips the kill switch. Both null (no limit) or both set, like velocity (001).
ALTER TABLE agents ADD COLUMN repeats_max integer
  CONSTRAINT agents_repeats_max_check CHECK (repeats_max BETWEEN 1 AND 100000);
ALTER TABLE agents ADD COLUMN repeats_window_seconds integer
  CONSTRAINT agents_repeats_window_seconds_check CHECK (repeats_window_seconds BETWEEN 1 AND 86400);
ALTER TABLE agents ADD CONSTRAINT agents_repeats_pair_check
  CHECK ((repeats_max IS NULL) = (repeats_window_seconds IS NULL));

-- * the kill switch's new reason. 001 declared the CHECK inline, so PostgreSQL named it <table>_<column>_check
--   (the same name on PGlite); replaced by name, as 002 did for reservations' status.
ALTER TABLE agents DROP CONSTRAINT agents_suspended_reason_check;
ALTER TABLE agents ADD CONSTRAINT agents_suspended_reason_check
  CHECK (suspended_reason IN ('manual', 'budget_exceeded', 'velocity_exceeded', 'loop_detected'));

-- * fingerprint: as the client sent it (1-128 printable ASCII, checked by the API); null when not sent. A
--   reservation's commit event has none: the reservation counted once, when it was held.
ALTER TABLE events ADD COLUMN fingerprint text;
ALTER TABLE reservations ADD COLUMN fingerprint text;

-- Counting one agent's fingerprint in a time window (rebuilding the store's repeat counters, confirming a
-- loop_detected flip). Partial: most requests carry no fingerprint, and those rows need no entry. Plain CREATE INDEX:
-- every migration runs in a transaction (no CONCURRENTLY, see 003); it locks writes to the table while it builds.
CREATE INDEX events_agent_fingerprint ON events (agent_id, fingerprint, recorded_at)
  WHERE fingerprint IS NOT NULL;
CREATE INDEX reservations_agent_fingerprint ON reservations (agent_id, fingerprint, created_at)
  WHERE fingerprint IS NOT NULL;
