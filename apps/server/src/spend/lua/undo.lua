#!lua
-- SpendStore.undo: the request certainly did not commit. Takes back what its token counted, held or flipped, and
-- releases its claim if the claim is still this request's. Running it twice changes nothing more.
-- KEYS, ARGV 1-9: store.lua header. ARGV 10 token, 11 request hash digest|'' (no claim).
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k = agent_keys()
local token, hash = ARGV[10], ARGV[11]
if hash ~= '' then
  local claim = read_claim(k.claim)
  if claim and not claim.completed and claim.hash == hash and claim.token == token then
    redis.call('DEL', k.claim)
  end
end
take_back(k, token)
return { 'ok' }
