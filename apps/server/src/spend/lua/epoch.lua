#!lua
-- The store's epoch (redis-keys.ts). KEYS 1 epoch. ARGV 1 'check'|'create', 2 Redis run_id, 3 now, 4 since (create).
-- check: {'ok', id, since}; {'absent'} when the key is gone (first start, or a flush: the caller asks PostgreSQL
--   which); {'bumped', id, since} when Redis's run_id changed (a restart or failover: data may be older than what
--   was acknowledged) — a new epoch begins now.
-- create: the epoch after 'absent', unless another instance created one meanwhile (then that one, as 'ok').
local e = redis.call('HMGET', KEYS[1], 'id', 'since', 'run')
if ARGV[1] == 'create' and not e[1] then
  redis.call('HSET', KEYS[1], 'id', ARGV[3], 'since', ARGV[4], 'run', ARGV[2])
  return { 'created', ARGV[3], ARGV[4] }
end
if not e[1] then return { 'absent' } end
if e[3] ~= ARGV[2] then
  local id = istr(math.max(tonumber(e[1]) + 1, tonumber(ARGV[3])))
  redis.call('HSET', KEYS[1], 'id', id, 'since', ARGV[3], 'run', ARGV[2])
  return { 'bumped', id, ARGV[3] }
end
return { 'ok', e[1], e[2] }
