#!lua
-- SpendStore.releaseHold: drops expired holds, then the given one. Reply 1 if it was held, else 0.
-- KEYS, ARGV 1-9: store.lua header. ARGV 10 hold id.
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k, h = agent_keys(), header()
if redis.call('HEXISTS', k.ot, 'ld') == 0 then return 0 end
expire_holds(k, h.now)
if drop_hold(k, ARGV[10]) then return 1 end
return 0
