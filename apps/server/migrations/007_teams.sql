-- Teams (docs/api.md §8): users of one customer with roles, and invites.
--
-- * role: 'owner' (the signup; every user so far was one), 'admin' (everything), 'viewer' (reads only).
ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'owner' CHECK (role IN ('owner', 'admin', 'viewer'));

-- * An invite is a link carrying a random token; only its SHA-256 is stored (like sessions and keys). Accepting it
--   marks it used in the same transaction that creates the user, so one link makes at most one account.
CREATE TABLE invites (
  token_hash    text PRIMARY KEY,
  customer_id   text NOT NULL REFERENCES customers (id),
  email         text NOT NULL,
  role          text NOT NULL CHECK (role IN ('admin', 'viewer')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
CREATE INDEX invites_customer ON invites (customer_id);
