#!lua
-- SpendStore.complete: requests committed in PostgreSQL. For the first (the agent-scoped header's): marks its claim
-- completed, confirms its entry, withdraws its provisional flip and takes the agent row PostgreSQL returned
-- (compare-and-set); then the same for the carried completions of other requests of this customer (store.lua
-- complete_carried), which have no row to write. Running it twice changes nothing more.
-- KEYS, ARGV 1-9: store.lua header; KEYS 18 on: the carried completions' claim and agent keys. ARGV 10 token,
-- 11 request hash digest|'' (no claim), 12 '1' when ARGV 13-25 hold the agent row (lv sv st rs at pd lm ld lr vw vm
-- qm qw; '' each otherwise), 26 the number of carried completions, then their triples.
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k = agent_keys()
complete_one(k, k.claim, k.agent, ARGV[2], ARGV[10], ARGV[11])
if ARGV[12] == '1' then cas_agent(k.agent, { unpack(ARGV, 13, 25) }) end
complete_carried(k, 18, 26)
return { 'ok' }
