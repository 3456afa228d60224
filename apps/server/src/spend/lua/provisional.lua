#!lua
-- SpendStore.provisionalSuspend / clearProvisional: a person's suspend takes effect before its PostgreSQL
-- transaction (the agent declines at once, loaded or not), or is withdrawn by its token.
-- KEYS 1 epoch, 2 agent, 3 open index, 4 agents with a provisional mark.
-- ARGV 1 epoch, 2 'suspend'|'clear', 3 token, 4 now, 5 customer id, 6 agent id.
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
if ARGV[2] == 'suspend' then
  redis.call('HSET', KEYS[2], 'pv', 's|' .. ARGV[3] .. '|manual|' .. ARGV[4] .. '|||||')
  redis.call('EXPIRE', KEYS[2], C.STATE_KEEP)
  redis.call('SADD', KEYS[4], ARGV[6])
  redis.call('EXPIRE', KEYS[4], C.HOLDS_KEEP)
  redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[5])
else
  clear_provisional(KEYS[2], KEYS[4], ARGV[6], ARGV[3], nil)
end
return { 'ok' }
