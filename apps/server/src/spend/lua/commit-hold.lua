#!lua
-- SpendStore.commitHold: drop the hold (if still held), count the actual cost everywhere regardless of
-- limits, then flip the kill switch if the agent's month, day or velocity-window spend is now above its limit.
-- Mirrors memory-store.ts commitHold() + decide.ts judgeAfterCommit(). Not idempotent by itself (a second call
-- counts again): the caller guarantees one call per hold through the event idempotency path.
-- KEYS: 1 agent state, 2 customer state, 3 customer month, 4 agent month, 5 agent day, 6 velocity, 7 run,
--       8 holds zset, 9 holds hash, 10 held totals
-- ARGV: 1 hold id, 2 actual, 3 now, 4 month key, 5 day key, 6 month resets at, 7 day resets at, 8 run id|'',
--       9 agent id, 10 run TTL s, 11 velocity keep s, 12 expire batch
-- Reply: {'missing', part...} | {'committed', <view after: 8 fields>, [decline fields]}
local k = {
  agent = KEYS[1], customer = KEYS[2], cm = KEYS[3], am = KEYS[4], ad = KEYS[5], vel = KEYS[6], run = KEYS[7],
  hz = KEYS[8], hh = KEYS[9], ht = KEYS[10],
}
local actual = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local run_id, agent_id = ARGV[8], ARGV[9]
local batch = tonumber(ARGV[12])

local v, missing = read_view(k, now, agent_id, run_id, batch)
if not v then return append({ 'missing' }, missing) end
drop_hold(k.hz, k.hh, k.ht, ARGV[1])
count(k, v, actual, run_id, ARGV[11], ARGV[10])
local after = read_view(k, now, agent_id, run_id, batch)
local reply = append({ 'committed' }, view_reply(after))

local agent = after.agent
if agent.st ~= 'active' then return reply end
if agent.lm and after.am > agent.lm then
  set_suspended(k.agent, 'budget_exceeded', now, ARGV[4])
  return append(reply, { 'budget_exceeded', 'agent', 'month', istr(agent.lm), istr(after.am), ARGV[6], 'budget_exceeded', ARGV[4] })
end
if agent.ld and after.ad > agent.ld then
  set_suspended(k.agent, 'budget_exceeded', now, ARGV[5])
  return append(reply, { 'budget_exceeded', 'agent', 'day', istr(agent.ld), istr(after.ad), ARGV[7], 'budget_exceeded', ARGV[5] })
end
if agent.vw and after.velocity and after.velocity > agent.vm then
  set_suspended(k.agent, 'velocity_exceeded', now, '')
  return append(reply, { 'budget_exceeded', 'agent', 'velocity', istr(agent.vm), istr(after.velocity), '', 'velocity_exceeded', '' })
end
return reply
