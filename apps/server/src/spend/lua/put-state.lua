#!lua
-- SpendStore.putAgentState / putCustomerState: a PostgreSQL row, compare-and-set by version.
-- KEYS 1 epoch, 2 agent or customer hash, 3 agents with a provisional mark (agent only).
-- ARGV 1 epoch, 2 'agent'|'customer';
--   agent: 3-15 lv sv st rs at pd lm ld lr vw vm qm qw, 16 token of a provisional suspend this write confirms|'',
--          17 agent id
--   customer: 3 version, 4 month limit|''
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
if ARGV[2] == 'customer' then
  cas_customer(KEYS[2], ARGV[3], ARGV[4])
  return { 'ok' }
end
cas_agent(KEYS[2], { unpack(ARGV, 3, 15) })
if ARGV[16] ~= '' then clear_provisional(KEYS[2], KEYS[3], ARGV[17], ARGV[16], 's') end
return { 'ok' }
