#!lua
-- Releases the rebuild lock only if it is still ours. KEYS: 1 lock.  ARGV: 1 token
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
