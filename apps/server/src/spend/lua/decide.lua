#!lua
-- SpendStore.decide (SPEC §5/§6), one atomic step. Mirrors memory-store.ts decide() + decide.ts judge().
-- KEYS: 1 claim, 2 agent state, 3 customer state, 4 customer month, 5 agent month, 6 agent day,
--       7 velocity, 8 run (any same-slot name when there is no run), 9 holds zset, 10 holds hash, 11 held totals
-- ARGV: 1 request hash digest, 2 amount, 3 now, 4 month key, 5 day key, 6 month resets at, 7 day resets at,
--       8 run id|'', 9 agent id, 10 hold id|'', 11 hold expires at, 12 in-flight TTL s, 13 run TTL s,
--       14 velocity keep s, 15 holds keep s, 16 expire batch
-- Reply: {'replay'|'in_flight'|'reused'} | {'missing', part...}
--      | {'accepted'|'declined', lifted period|'', <view before: 8 fields>, <decline fields>}
local k = {
  claim = KEYS[1], agent = KEYS[2], customer = KEYS[3], cm = KEYS[4], am = KEYS[5], ad = KEYS[6],
  vel = KEYS[7], run = KEYS[8], hz = KEYS[9], hh = KEYS[10], ht = KEYS[11],
}
local request_hash = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local month_key, day_key = ARGV[4], ARGV[5]
local month_resets, day_resets = ARGV[6], ARGV[7]
local run_id, agent_id, hold_id = ARGV[8], ARGV[9], ARGV[10]

-- 1. Idempotency: a known key answers without reading anything else.
local stored = redis.call('GET', k.claim)
if stored then
  if string.sub(stored, 2) ~= request_hash then return { 'reused' } end
  if string.sub(stored, 1, 1) == 'c' then return { 'replay' } end
  return { 'in_flight' }
end

-- 2. Everything the decision needs must be present; if not, nothing is claimed.
local v, missing = read_view(k, now, agent_id, run_id, tonumber(ARGV[16]))
if not v then
  local reply = { 'missing' }
  return append(reply, missing)
end
redis.call('SET', k.claim, 'f' .. request_hash, 'EX', ARGV[12])

local agent = v.agent
local lifted = ''
if agent.st == 'suspended' and agent.rs == 'budget_exceeded' and agent.pd ~= ''
    and agent.pd ~= month_key and agent.pd ~= day_key then
  lifted = agent.pd
  set_active(k.agent)
  agent.st = 'active'
end

local function declined(items)
  local reply = append({ 'declined', lifted }, view_reply(v))
  return append(reply, items)
end
local function over(scope, period, limit, spent, resets, reason, suspended_period)
  return declined({ 'budget_exceeded', scope, period, istr(limit), istr(spent), resets, reason, suspended_period })
end

if agent.st == 'suspended' then
  local reason = agent.rs
  if reason == '' then reason = 'manual' end
  return declined({ 'agent_suspended', reason, istr(agent.at or now) })
end
local customer_spent = v.cm + v.held_c
if v.climit and customer_spent + amount > v.climit then
  return over('customer', 'month', v.climit, customer_spent, month_resets, '', '')
end
if run_id ~= '' and agent.lr then
  local run_spent = (v.run or 0) + v.held_r
  if run_spent + amount > agent.lr then return over('agent', 'run', agent.lr, run_spent, '', '', '') end
end
local agent_month = v.am + v.held_a
if agent.lm and agent_month + amount > agent.lm then
  set_suspended(k.agent, 'budget_exceeded', now, month_key)
  return over('agent', 'month', agent.lm, agent_month, month_resets, 'budget_exceeded', month_key)
end
local agent_day = v.ad + v.held_a
if agent.ld and agent_day + amount > agent.ld then
  set_suspended(k.agent, 'budget_exceeded', now, day_key)
  return over('agent', 'day', agent.ld, agent_day, day_resets, 'budget_exceeded', day_key)
end
if agent.vw then
  -- Open holds count against velocity as against every other limit (decide.ts judge(), SPEC §6).
  local velocity = (v.velocity or 0) + v.held_a
  if velocity + amount > agent.vm then
    set_suspended(k.agent, 'velocity_exceeded', now, '')
    return over('agent', 'velocity', agent.vm, velocity, '', 'velocity_exceeded', '')
  end
end

-- 5. Accept: count it everywhere, or hold it.
if hold_id ~= '' then
  add_hold(k.hz, k.hh, k.ht, hold_id, agent_id, run_id, amount, tonumber(ARGV[11]))
  for _, key in ipairs({ k.hz, k.hh, k.ht }) do redis.call('EXPIRE', key, ARGV[15]) end
else
  count(k, v, amount, run_id, ARGV[14], ARGV[13])
end
return append({ 'accepted', lifted }, view_reply(v))
