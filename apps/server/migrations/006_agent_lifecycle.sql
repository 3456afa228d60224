-- Safe by default and agent lifecycle (docs/api.md §5, §7).
--
-- * auto_created: the agent was created on the fly by its first event or reservation (a typo in a name shows at once).
--   Agents created so far on the fly are the ones whose creation the system audited.
ALTER TABLE agents ADD COLUMN auto_created boolean NOT NULL DEFAULT false;
UPDATE agents SET auto_created = true
 WHERE id IN (SELECT target_id FROM audit_log WHERE action = 'agent.create' AND actor_type = 'system');

-- * archived_at: DELETE archives an agent: it leaves the list, its history stays, its events are refused (404) and it
--   is not created again on the fly until restored.
ALTER TABLE agents ADD COLUMN archived_at timestamptz;

-- * suspended_limit_micros: for a budget or velocity suspension, the limit the spend broke, as the row had it when the
--   switch flipped. A person who sets that limit higher (or removes it) lifts a budget suspension at once.
ALTER TABLE agents ADD COLUMN suspended_limit_micros bigint;
