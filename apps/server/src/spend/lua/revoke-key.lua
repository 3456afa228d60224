#!lua
-- SpendStore.revokeKey: the API key's revocation marker beside the customer's state (decide.lua refuses the key from
-- now on). A hash created here holds no state yet: a decision finds the customer missing and rebuilds it, keeping the
-- marker (load.lua only adds fields).
-- KEYS 1 epoch, 2 customer. ARGV 1 epoch, 2 key id.
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
redis.call('HSET', KEYS[2], 'rk:' .. ARGV[2], '1')
redis.call('EXPIRE', KEYS[2], C.STATE_KEEP)
return { 'ok' }
