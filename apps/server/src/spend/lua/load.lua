#!lua
-- SpendStore.loadCounters: PostgreSQL's absolute values, written only where absent (SET NX / "if not exists"),
-- so concurrent rebuilds and live decisions never double-count. Mirrors memory-store.ts loadCounters().
-- KEYS: 1 agent state, 2 customer state, 3 customer month, 4 agent month, 5 agent day, 6 velocity, 7 run,
--       8 holds zset, 9 holds hash, 10 held totals
-- ARGV: 1-9 agent st rs at pd lm ld lr vw vm, 10 customer limit|'', 11 customer month, 12 agent month,
--       13 agent day, 14 month TTL ms, 15 day TTL ms, 16 run id|'', 17 run micros, 18 run TTL s, 19 now,
--       20 velocity keep s, 21 holds keep s, 22 bucket count B, then B pairs (bucket, micros),
--       then holds as 5-tuples (id, agent id, run id|'', amount, expires at)
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'st', ARGV[1], 'rs', ARGV[2], 'at', ARGV[3], 'pd', ARGV[4],
    'lm', ARGV[5], 'ld', ARGV[6], 'lr', ARGV[7], 'vw', ARGV[8], 'vm', ARGV[9])
end
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('HSET', KEYS[2], 'lim', ARGV[10]) end
redis.call('SET', KEYS[3], ARGV[11], 'NX', 'PX', ARGV[14])
redis.call('SET', KEYS[4], ARGV[12], 'NX', 'PX', ARGV[14])
redis.call('SET', KEYS[5], ARGV[13], 'NX', 'PX', ARGV[15])
if ARGV[16] ~= '' then redis.call('SET', KEYS[7], ARGV[17], 'NX', 'EX', ARGV[18]) end

local now = tonumber(ARGV[19])
local buckets = tonumber(ARGV[22])
local holds_at = 23 + 2 * buckets
-- Velocity follows the stored agent's limits (they may be newer than this load's).
local agent = read_agent(KEYS[1])
if agent and agent.vw then
  local _, _, first = vwindow(now, agent.vw)
  if tonumber(redis.call('HGET', KEYS[6], 'ws') or '-1') ~= agent.vw then
    redis.call('DEL', KEYS[6])
    redis.call('HSET', KEYS[6], 'ws', istr(agent.vw))
    for i = 23, holds_at - 1, 2 do
      if tonumber(ARGV[i]) >= first then redis.call('HINCRBY', KEYS[6], ARGV[i], ARGV[i + 1]) end
    end
    redis.call('EXPIRE', KEYS[6], ARGV[20])
  end
end

if redis.call('HEXISTS', KEYS[10], 'loaded') == 0 then
  -- Leftovers without the marker are not trusted: start the customer's holds over from PostgreSQL.
  redis.call('DEL', KEYS[8], KEYS[9], KEYS[10])
  redis.call('HSET', KEYS[10], 'loaded', '1')
  for i = holds_at, #ARGV, 5 do
    local expires_at = tonumber(ARGV[i + 4])
    if expires_at > now then
      add_hold(KEYS[8], KEYS[9], KEYS[10], ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), expires_at)
    end
  end
  for i = 8, 10 do redis.call('EXPIRE', KEYS[i], ARGV[21]) end
end
return 1
