#!lua
-- SpendStore.readSpend for several agents of one customer. Writes only to drop expired holds.
-- KEYS 1 epoch, 2 customer, 3 holds by expiry, 4 holds by id, 5 totals, then per agent: agent, velocity.
-- ARGV 1 epoch, 2 customer id, 3 now, 4 month key, 5 day key, then the agent ids in the same order.
-- Reply: per agent '1' + the 9 view fields, or '0' + 9 empty fields (something missing).
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local reply = {}
for i = 6, #ARGV do
  local base = 5 + (i - 6) * 2
  local k = {
    customer = KEYS[2], hz = KEYS[3], hh = KEYS[4], ot = KEYS[5], agent = KEYS[base + 1], vel = KEYS[base + 2],
    run = KEYS[base + 2],
  }
  local h = { agent_id = ARGV[i], customer_id = ARGV[2], run_id = '', now = tonumber(ARGV[3]),
    p = { mk = ARGV[4], dk = ARGV[5] } }
  local v = read_view(k, h)
  if v then
    append(reply, { '1' })
    append(reply, view_reply(v))
  else
    append(reply, { '0', '', '', '', '', '', '', '', '', '' })
  end
end
return reply
