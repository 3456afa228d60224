#!lua
-- SpendStore.undo: take back exactly what one decision did. Absent keys are skipped (never re-created, never
-- negative): a counter evicted meanwhile is rebuilt from PostgreSQL, which never had this event.
-- KEYS: 1 claim, 2 agent state, 3 customer month, 4 agent month, 5 agent day, 6 velocity, 7 run,
--       8 holds zset, 9 holds hash, 10 held totals
-- ARGV: 1 mode 'spent'|'hold'|'declined'|'none', 2 amount, 3 now, 4 run id|'', 5 hold id|'',
--       6 suspension reason|'', 7 suspension period|'', 8 '1' when the decision claimed the key
local mode = ARGV[1]
local amount = tonumber(ARGV[2])
local now = tonumber(ARGV[3])

local function take_back(key)
  if redis.call('EXISTS', key) == 0 then return end
  if redis.call('DECRBY', key, istr(amount)) < 0 then redis.call('SET', key, '0', 'KEEPTTL') end
end

if mode == 'spent' then
  take_back(KEYS[3])
  take_back(KEYS[4])
  take_back(KEYS[5])
  if ARGV[4] ~= '' then take_back(KEYS[7]) end
  local agent = read_agent(KEYS[2])
  if agent and agent.vw then
    local _, current = vwindow(now, agent.vw)
    local field = istr(current)
    if tonumber(redis.call('HGET', KEYS[6], 'ws') or '-1') == agent.vw and redis.call('HEXISTS', KEYS[6], field) == 1 then
      if redis.call('HINCRBY', KEYS[6], field, istr(-amount)) < 0 then redis.call('HSET', KEYS[6], field, '0') end
    end
  end
elseif mode == 'hold' then
  if redis.call('HEXISTS', KEYS[10], 'loaded') == 1 then drop_hold(KEYS[8], KEYS[9], KEYS[10], ARGV[5]) end
elseif mode == 'declined' then
  local agent = read_agent(KEYS[2])
  if agent and agent.st == 'suspended' and agent.rs == ARGV[6] and agent.pd == ARGV[7] and agent.at == now then
    set_active(KEYS[2])
  end
end
if ARGV[8] == '1' then redis.call('DEL', KEYS[1]) end
return 1
