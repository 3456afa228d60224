#!lua
-- SpendStore.commitHold: drop the hold (if still held), count the actual cost everywhere under the commit's token
-- regardless of limits, and place a provisional flip if committed spend with it breaks the agent's month, day or
-- velocity limit. Mirrors memory-store.ts commitHold() + decide.ts judgeAfterCommit(). Running it again with the
-- same token counts nothing again and answers the same.
-- KEYS, ARGV 1-9: store.lua header. ARGV 10 hold id, 11 token, 12 actual.
-- Reply: {'epoch', ...} | {'missing', part...}
--      | {'counted', status version, <limits: 6 fields>, <view after: 9 fields>, [decline]}
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k, h = agent_keys(), header()
local hold_id, token, actual = ARGV[10], ARGV[11], tonumber(ARGV[12])

local v, missing = read_view(k, h)
if not v then return append({ 'missing' }, missing) end
if redis.call('HEXISTS', k.o, token) == 0 then
  drop_hold(k, hold_id)
  local verdict = judge_after_commit(v.agent, v, actual, h.p, h.now)
  count(k, h, v, actual, token, nil)
  -- judge_after_commit only flips an agent nothing suspends: a mark still here is a lapsed flip, replaced.
  if verdict.kind == 'decline' then place_flip(k, h, token, verdict) end
end
local after = read_view(k, h)
local reply = append(append({ 'counted', istr(after.agent.sv) }, limits_reply(after)), view_reply(after))
return append(reply, flip_reply(k, token))
