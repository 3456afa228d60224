-- Cost from usage (docs/api.md §5.1): an event priced from token usage keeps the normalised usage and the price it
-- used, {"usage": {...}, "price": {...}}; null for an event whose client gave the cost.
ALTER TABLE events ADD COLUMN pricing jsonb;
