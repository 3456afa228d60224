#!lua
-- SpendStore.releaseHold: drops expired holds, then the given one. Reply 1 if it was held, else 0.
-- KEYS: 1 holds zset, 2 holds hash, 3 held totals.  ARGV: 1 hold id, 2 now, 3 expire batch
if redis.call('HEXISTS', KEYS[3], 'loaded') == 0 then return 0 end
expire_holds(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[2]), tonumber(ARGV[3]))
if drop_hold(KEYS[1], KEYS[2], KEYS[3], ARGV[1]) then return 1 end
return 0
