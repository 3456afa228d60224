-- budget.threshold alerts (docs/api.md §13): each threshold fires once per (agent or customer, period window,
-- threshold), decided from COMMITTED spend by a sweep (webhooks/thresholds.ts) instead of by the batch that wrote it —
-- a batch cannot see the spend of batches committing beside it (other commit slots, other instances), the sweep can.
--
-- * spend_daily.updated_at: when PostgreSQL last added spend to the row (the writer's statement time). It is what the
--   sweep looks for; not indexed (the sweep reads today's and yesterday's rows by the day index), so the row's update
--   stays a HOT update.
-- * customers.alert_thresholds_percent: the customer's thresholds, integers 1-100, unique, at most 10 (the API
--   checks; [] = none).
-- * budget_alerts_fired: one row per threshold that fired; its key is what makes "once". agent_id '' is the
--   customer's own month limit. A limit change deletes the rows of thresholds the spend has not reached under the
--   new limit (they are armed again).
-- * budget_alert_sweep: the sweep's two cursors, committed with the alerts they produced. fresh_until: spend rows
--   changed up to here were looked at as soon as they were visible; final_until: spend rows changed up to here were
--   looked at again once nothing written that long ago could still be committing (spend/bounds.ts LATE_COMMIT_MS).
ALTER TABLE spend_daily ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE customers ADD COLUMN alert_thresholds_percent smallint[] NOT NULL DEFAULT '{50,80,100}';

CREATE TABLE budget_alerts_fired (
  customer_id        text NOT NULL REFERENCES customers (id),
  agent_id           text NOT NULL,
  period             text NOT NULL CHECK (period IN ('month', 'day')),
  window_key         text NOT NULL,
  threshold_percent  smallint NOT NULL,
  limit_micros       bigint NOT NULL,
  spent_micros       bigint NOT NULL,
  fired_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, agent_id, period, window_key, threshold_percent)
);

CREATE TABLE budget_alert_sweep (
  id           smallint PRIMARY KEY CHECK (id = 1),
  fresh_until  timestamptz NOT NULL,
  final_until  timestamptz NOT NULL
);
INSERT INTO budget_alert_sweep (id, fresh_until, final_until) VALUES (1, now(), now());

-- GET /v1/alerts: a customer's alerts, newest first.
CREATE INDEX webhook_events_customer ON webhook_events (customer_id, created_at DESC, id DESC);
