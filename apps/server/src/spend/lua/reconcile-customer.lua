#!lua
-- The reconciler's repair of one customer (reconciler.ts): the month counter and the open holds, from
-- PostgreSQL's values. Exact under load: the counter is compared without what was counted since the cut —
--   counter − (contributions of seconds ≥ cut)  vs  PostgreSQL's accepted spend recorded before the cut,
-- both of which no request can change any more (nothing older than the cut can still commit: bounds.ts).
-- A counter loaded after the cut is left alone (its load already is PostgreSQL's value).
-- KEYS 1 epoch, 2 customer, 3 customer contributions, 4 totals, 5 holds by expiry, 6 holds by id, 7 entries by time,
--      8 open index, 9 agents with a provisional mark
-- ARGV 1 epoch, 2 customer id, 3 month key, 4 month start (s), 5 cut (s), 6 cut (ms), 7 spend before the cut|'',
--      8 now, 9 customer version, 10 customer month limit|'', then PostgreSQL's open holds as 7-tuples (id, agent,
--      run|'', amount, expires at, created at, '1' when a commit claims it now)
-- Reply: {'ok', month repair (micros, signed), holds dropped, holds added, '1' if the customer state changed}
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k = { customer = KEYS[2], cq = KEYS[3], ot = KEYS[4], hz = KEYS[5], hh = KEYS[6] }
local cut_s, cut_ms, now = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[8])

local function recent_since(key, from_s)
  local sum, stale = 0, {}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local s = tonumber(all[i])
    if s >= from_s then sum = sum + tonumber(all[i + 1]) end
    if s < cut_s - 60 then stale[#stale + 1] = all[i] end
  end
  return sum, stale
end

-- The customer's settings, by version (a PATCH whose write-through was lost).
local state_changed = ''
if redis.call('EXISTS', k.customer) == 1 then
  local before = redis.call('HGET', k.customer, 'v')
  cas_customer(k.customer, ARGV[9], ARGV[10])
  if redis.call('HGET', k.customer, 'v') ~= before then state_changed = '1' end
end

local repaired = 0
local field = 'm:' .. ARGV[3]
local counter = redis.call('HGET', k.customer, field)
local loaded_at = num(redis.call('HGET', k.customer, 'lt:' .. field))
local recent, stale = recent_since(k.cq, math.max(cut_s, tonumber(ARGV[4])))
if ARGV[7] ~= '' and counter and ((not loaded_at) or loaded_at < cut_ms) then
  repaired = tonumber(ARGV[7]) - (tonumber(counter) - recent)
  if repaired ~= 0 then redis.call('HINCRBY', k.customer, field, istr(repaired)) end
end
if #stale > 0 then redis.call('HDEL', k.cq, unpack(stale)) end

-- Holds decided before the cut: the ones PostgreSQL does not hold (never inserted, or released/committed there)
-- are dropped; the ones it holds and the store lost are added back — except while a commit claims them (the
-- commit already took the hold over as spend).
local dropped, added = 0, 0
if redis.call('HEXISTS', k.ot, 'ld') == 1 then
  local pg = {}
  for i = 11, #ARGV, 7 do pg[ARGV[i]] = i end
  local stored = redis.call('HGETALL', k.hh)
  local have = {}
  for i = 1, #stored, 2 do
    local id = stored[i]
    have[id] = true
    local created = tonumber(split(stored[i + 1], '|')[4])
    if created < cut_ms and not pg[id] then
      drop_hold(k, id)
      dropped = dropped + 1
    end
  end
  for id, i in pairs(pg) do
    local created, expires = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 4])
    if (not have[id]) and ARGV[i + 6] ~= '1' and created < cut_ms and expires > now then
      add_hold(k, id, ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), expires, created)
      added = added + 1
    end
  end
end

-- Nothing left to look at for this customer: out of the reconciler's index.
if redis.call('ZCARD', KEYS[7]) == 0 and redis.call('SCARD', KEYS[9]) == 0 then
  redis.call('ZREM', KEYS[8], ARGV[2])
end
return { 'ok', istr(repaired), istr(dropped), istr(added), state_changed }
