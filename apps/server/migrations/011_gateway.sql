-- The LLM gateway (docs/api.md §12): the customer's provider credentials, and the output-token estimate of calls that
-- name no maximum.
--
-- * provider_credentials: one API key per customer and provider, encrypted at rest (AES-256-GCM under
--   SPENDGUARD_ENCRYPTION_KEY, gateway/credential-cipher.ts). key_ciphertext is `v1.<key id>.<iv>.<tag>.<ct>`: the key
--   id says which key encrypted it, so a rotation re-encrypts the rows of the old one. key_hint (`sk-…abcd`) is what
--   answers and the audit log show; the key itself is never stored in plain text.
-- * base_url NULL = the provider's public API (https://api.openai.com/v1, https://api.anthropic.com), chosen by the
--   code rather than stored, so a row written before a default changes follows it.
-- * last_used_at: informational, written at most once a minute per credential by the gateway.
CREATE TABLE provider_credentials (
  customer_id     text NOT NULL REFERENCES customers (id),
  provider        text NOT NULL CHECK (provider IN ('openai', 'anthropic')),
  base_url        text,
  key_ciphertext  text NOT NULL,
  key_hint        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz,
  PRIMARY KEY (customer_id, provider)
);

-- * gateway_default_max_output_tokens: the output tokens a gateway call is estimated at when the request gives no
--   max_tokens / max_completion_tokens / max_output_tokens (a PATCH /v1/customer setting). Named constraint, so a
--   later migration can replace it by name (as 010 did for agents' suspended_reason).
ALTER TABLE customers ADD COLUMN gateway_default_max_output_tokens integer NOT NULL DEFAULT 4096
  CONSTRAINT customers_gateway_default_max_output_tokens_check
  CHECK (gateway_default_max_output_tokens BETWEEN 1 AND 1000000);
