-- The engine under faults (docs/architecture.md "State model").
--
-- * Versions: every transaction that changes an agent's limits bumps limits_version, every one that changes its
--   status (suspend, resume, a confirmed kill-switch flip) bumps status_version, and a customer's settings bump
--   state_version. The spend store keeps, per part, only a write with a higher version: two writers racing (a PATCH
--   and a suspend, two instances) can never leave the older one in force.
ALTER TABLE agents ADD COLUMN limits_version bigint NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN status_version bigint NOT NULL DEFAULT 1;
ALTER TABLE customers ADD COLUMN state_version bigint NOT NULL DEFAULT 1;

-- * Key scopes: an idempotency key is the client's own namespace (docs/api.md §5). A reservation's commit event was stored
--   under the key 'rsv:<id>:commit' in the same namespace, so a client event with that key blocked the commit.
--   Commit events now live in scope 1; the unique index covers (customer, scope, key).
ALTER TABLE events ADD COLUMN key_scope smallint NOT NULL DEFAULT 0;
UPDATE events SET key_scope = 1
 WHERE reservation_id IS NOT NULL AND idempotency_key = 'rsv:' || reservation_id || ':commit';
ALTER TABLE events DROP CONSTRAINT events_customer_id_idempotency_key_key;
CREATE UNIQUE INDEX events_idempotency ON events (customer_id, key_scope, idempotency_key);

-- * The reconciler visits every agent with spend this month (paged by day), not the first 1,000 rows of a table
--   without order, and agents whose row changed lately (a state write-through that may have failed).
CREATE INDEX spend_daily_day ON spend_daily (day, customer_id, agent_id);
CREATE INDEX agents_updated ON agents (updated_at);

-- * The spend store's epochs (spend/epochs.ts): a Redis that lost its epoch key is either a first start (no row for
--   its prefix: nothing can be in flight) or a loss (rows exist: rebuild only after in-flight requests are settled).
CREATE TABLE spend_store_epochs (
  prefix      text NOT NULL,
  epoch       text NOT NULL,
  started_at  timestamptz NOT NULL,
  PRIMARY KEY (prefix, epoch)
);
