#!lua
-- The reconciler's repair of one agent (reconciler.ts): its state from PostgreSQL's row (by version), a stale
-- provisional mark withdrawn (its request is long over: PostgreSQL's row is the answer), the month and day counters
-- repaired exactly as in reconcile-customer.lua, and velocity buckets before the cut raised to PostgreSQL's (never
-- lowered: over-counting velocity is the safe side).
-- KEYS 1 epoch, 2 agent, 3 agent contributions, 4 velocity, 5 agents with a provisional mark
-- ARGV 1 epoch, 2 agent id, 3 month key, 4 day key, 5 month start (s), 6 day start (s), 7 cut (s), 8 cut (ms),
--      9 month spend before the cut|'', 10 day spend before the cut|'', 11 '1' when 12-24 hold the row,
--      12-24 lv sv st rs at pd lm ld lr vw vm qm qw, 25 velocity window of the buckets|'', then bucket/micros pairs
-- Reply: {'ok', month repair, day repair, '1' if the state changed, '1' if a provisional mark was withdrawn,
--         buckets raised}
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
if redis.call('EXISTS', KEYS[2]) == 0 then
  -- Nothing stored (expired, or never loaded in this epoch): no mark can be left either.
  redis.call('SREM', KEYS[5], ARGV[2])
  return { 'ok', '0', '0', '', '', '0' }
end
local agent_key, cut_s, cut_ms = KEYS[2], tonumber(ARGV[7]), tonumber(ARGV[8])

local state_changed = ''
if ARGV[11] == '1' and redis.call('HEXISTS', agent_key, 'sv') == 1 then
  if cas_agent(agent_key, { unpack(ARGV, 12, 24) }) then state_changed = '1' end
end
local withdrawn = ''
local prov = parse_provisional(redis.call('HGET', agent_key, 'pv'))
if prov and prov.at < cut_ms then
  clear_provisional(agent_key, KEYS[5], ARGV[2], prov.token, nil)
  withdrawn = '1'
end
if not prov then redis.call('SREM', KEYS[5], ARGV[2]) end

local contributions = redis.call('HGETALL', KEYS[3])
local function recent_since(from_s)
  local sum = 0
  for i = 1, #contributions, 2 do
    if tonumber(contributions[i]) >= from_s then sum = sum + tonumber(contributions[i + 1]) end
  end
  return sum
end
local function repair(field, before_cut, period_start_s)
  if before_cut == '' then return 0 end
  local counter = redis.call('HGET', agent_key, field)
  local loaded_at = num(redis.call('HGET', agent_key, 'lt:' .. field))
  if not counter or (loaded_at and loaded_at >= cut_ms) then return 0 end
  local delta = tonumber(before_cut) - (tonumber(counter) - recent_since(math.max(cut_s, period_start_s)))
  if delta ~= 0 then redis.call('HINCRBY', agent_key, field, istr(delta)) end
  return delta
end
local month = repair('m:' .. ARGV[3], ARGV[9], tonumber(ARGV[5]))
local day = repair('d:' .. ARGV[4], ARGV[10], tonumber(ARGV[6]))
local stale = {}
for i = 1, #contributions, 2 do
  if tonumber(contributions[i]) < cut_s - 60 then stale[#stale + 1] = contributions[i] end
end
if #stale > 0 then redis.call('HDEL', KEYS[3], unpack(stale)) end

local raised = 0
if ARGV[25] ~= '' and redis.call('HGET', KEYS[4], 'ws') == ARGV[25] then
  for i = 26, #ARGV, 2 do
    local have = tonumber(redis.call('HGET', KEYS[4], ARGV[i]) or '0')
    if have < tonumber(ARGV[i + 1]) then
      redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
      raised = raised + 1
    end
  end
end
return { 'ok', istr(month), istr(day), state_changed, withdrawn, istr(raised) }
