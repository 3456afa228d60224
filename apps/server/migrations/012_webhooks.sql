-- Webhooks (docs/api.md §13): a customer's endpoints, the alerts an outbox holds for them, one delivery row per alert
-- and endpoint.
--
-- * webhook_endpoints: `secret` signs every delivery (HMAC-SHA256, webhooks/signature.ts); it is shown once, at
--   creation. deleted_at: a deleted endpoint gets no new deliveries; its delivery log stays readable by id.
-- * webhook_events: the outbox. A row is written in the same transaction as the change it reports (a suspension, a
--   resume), so a committed change always has its alert and a rolled-back one never does. `body` is the exact JSON
--   text every attempt sends (a retry is byte-identical).
-- * webhook_deliveries: what the workers claim. status pending → delivered | failed. A worker claims a due row with
--   FOR UPDATE SKIP LOCKED and, in the same statement, pushes next_attempt_at past the attempt's time-out and counts
--   the attempt: no other instance takes that attempt, and a worker that dies mid-attempt leaves a row that is due
--   again a minute later.
CREATE TABLE webhook_endpoints (
  id           text PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES customers (id),
  url          text NOT NULL,
  events       text[] NOT NULL,
  description  text,
  secret       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz
);
CREATE INDEX webhook_endpoints_customer ON webhook_endpoints (customer_id, id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_events (
  id           text PRIMARY KEY,
  customer_id  text NOT NULL REFERENCES customers (id),
  type         text NOT NULL,
  body         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,
  customer_id      text NOT NULL REFERENCES customers (id),
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id),
  event_id         text NOT NULL REFERENCES webhook_events (id),
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempt          integer NOT NULL DEFAULT 0,
  response_status  integer,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
