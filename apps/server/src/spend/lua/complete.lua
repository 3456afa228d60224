#!lua
-- SpendStore.complete: the request committed in PostgreSQL. Marks its claim completed (if it is still this
-- request's, or gone), confirms its entry, withdraws its provisional flip and takes the agent row PostgreSQL
-- returned (compare-and-set). Running it twice changes nothing more.
-- KEYS, ARGV 1-9: store.lua header. ARGV 10 token, 11 request hash digest|'' (no claim), 12 '1' when ARGV 13-25
-- hold the agent row (lv sv st rs at pd lm ld lr vw vm qm qw).
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k = agent_keys()
local token, hash = ARGV[10], ARGV[11]
if hash ~= '' then
  local claim = read_claim(k.claim)
  if (not claim) or (not claim.completed and claim.token == token) then
    redis.call('SET', k.claim, 'c' .. hash, 'EX', C.KEY_TTL)
  end
end
confirm_entry(k, token)
clear_flip(k, token)
if ARGV[12] == '1' then cas_agent(k.agent, { unpack(ARGV, 13, 25) }) end
return { 'ok' }
