-- A customer's own prices (docs/api.md §14): negotiated or self-hosted prices that override the catalogue for this
-- customer only; model '*' prices every model of the provider the catalogue does not know.
--
-- * provider and model are stored lowercase: the catalogue matches both without regard to case, so a customer's
--   'GPT-4o' must be the same entry as 'gpt-4o' or the catalogue would quietly win over it.
-- * Prices are USD per million tokens as exact decimals (numeric, never float): at most 9 decimal places — the
--   nano-micros per token the pricing arithmetic counts in (pricing/exact-price.ts) — and at most 10,000 USD.
--   null = no price of its own for that token class (priced as uncached input, docs/api.md §5.1).
-- * The primary key is the one index the pricing lookup of a usage-priced request reads.
CREATE TABLE customer_prices (
  customer_id              text NOT NULL REFERENCES customers (id),
  provider                 text NOT NULL CHECK (provider = lower(provider)),
  model                    text NOT NULL CHECK (model = lower(model)),
  input_per_mtok_usd       numeric(14, 9) CHECK (input_per_mtok_usd BETWEEN 0 AND 10000),
  output_per_mtok_usd      numeric(14, 9) CHECK (output_per_mtok_usd BETWEEN 0 AND 10000),
  cache_read_per_mtok_usd  numeric(14, 9) CHECK (cache_read_per_mtok_usd BETWEEN 0 AND 10000),
  cache_write_per_mtok_usd numeric(14, 9) CHECK (cache_write_per_mtok_usd BETWEEN 0 AND 10000),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, provider, model),
  CHECK (input_per_mtok_usd IS NOT NULL OR output_per_mtok_usd IS NOT NULL)
);
