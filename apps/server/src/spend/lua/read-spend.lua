#!lua
-- SpendStore.readSpend for several agents of one customer. Writes only to drop expired holds.
-- KEYS: 1 customer state, 2 customer month, 3 holds zset, 4 holds hash, 5 held totals,
--       then per agent 4 keys: agent state, agent month, agent day, velocity
-- ARGV: 1 now, 2 expire batch, then the agent ids in the same order
-- Reply: per agent either '' (something missing) or a 8-field view flattened (see view_reply)
local now = tonumber(ARGV[1])
local batch = tonumber(ARGV[2])
local reply = {}
for i = 3, #ARGV do
  local base = 5 + (i - 3) * 4
  local k = {
    customer = KEYS[1], cm = KEYS[2], hz = KEYS[3], hh = KEYS[4], ht = KEYS[5],
    agent = KEYS[base + 1], am = KEYS[base + 2], ad = KEYS[base + 3], vel = KEYS[base + 4], run = KEYS[base + 4],
  }
  local v = read_view(k, now, ARGV[i], '', batch)
  if v then
    append(reply, { '1' })
    append(reply, view_reply(v))
  else
    append(reply, { '0', '', '', '', '', '', '', '', '' })
  end
end
return reply
