-- spend_daily gets a small `shard` in its key. The group-commit writer keeps up to two commits in flight; with one
-- row per (agent, day) both commits upsert the same rows and the second waits on the first's row locks until it
-- commits, serializing them. Each commit slot now writes its own shard row, so in-flight commits never wait on
-- each other. Every reader sums over the rows of a day, so the meaning of the table is unchanged.
ALTER TABLE spend_daily ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE spend_daily DROP CONSTRAINT spend_daily_pkey;
ALTER TABLE spend_daily ADD PRIMARY KEY (agent_id, day, shard);
