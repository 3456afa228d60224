#!lua
-- SpendStore.loadCounters: PostgreSQL's values, written only where absent (counters, holds) or older (state, by
-- version), so concurrent rebuilds and live decisions never double-count. Mirrors memory-store.ts loadCounters().
-- A counter set here records when (lt:<field>): the reconciler repairs it only from sums taken after that.
-- KEYS, ARGV 1-9: store.lua header. ARGV 10-22 agent row (lv sv st rs at pd lm ld lr vw vm qm qw), 23 customer
--   version, 24 customer limit|'', 25 customer month, 26 agent month, 27 agent day, 28 run micros, 29 bucket count B,
--   then B pairs (bucket, micros), then the hold count H and H 6-tuples (id, agent id, run id|'', amount, expires at,
--   created at), then the count R of recently revoked API keys and their R ids (revocation markers, api-keys.ts), then
--   loop detection's occurrences as triples (token, fingerprint digest, at) to the end.
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k, h = agent_keys(), header()
cas_agent(k.agent, { unpack(ARGV, 10, 22) })
cas_customer(k.customer, ARGV[23], ARGV[24])

local buckets = tonumber(ARGV[29])
local holds_count_at = 30 + 2 * buckets
local holds_at = holds_count_at + 1
local revoked_count_at = holds_at + 6 * tonumber(ARGV[holds_count_at])
local repeats_at = revoked_count_at + 1 + tonumber(ARGV[revoked_count_at])
-- Markers of keys revoked lately, again: a new epoch starts without them (decide.lua checks them).
for i = revoked_count_at + 1, repeats_at - 1 do redis.call('HSET', k.customer, 'rk:' .. ARGV[i], '1') end
if redis.call('HEXISTS', k.ot, 'ld') == 0 then
  redis.call('DEL', k.hz, k.hh)
  redis.call('HSET', k.ot, 'ld', '1')
  for i = holds_at, revoked_count_at - 1, 6 do
    local expires_at = tonumber(ARGV[i + 4])
    if expires_at > h.now then
      add_hold(k, ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), expires_at, tonumber(ARGV[i + 5]))
    end
  end
  redis.call('EXPIRE', k.ot, C.HOLDS_KEEP)
end

-- A counter absent while entries of its period exist (they can only be in flight) gets them on top of
-- PostgreSQL's sum: one that already committed is then counted twice — the safe side, until the reconciler.
local pending = { cm = 0, am = 0, ad = 0, run = 0 }
local mine = {}
local all = redis.call('HGETALL', k.o)
for i = 1, #all, 2 do
  local e = parse_entry(all[i + 1])
  if e.mk == h.p.mk then pending.cm = pending.cm + e.amount end
  if e.agent == h.agent_id then
    mine[#mine + 1] = e
    if e.mk == h.p.mk then pending.am = pending.am + e.amount end
    if e.dk == h.p.dk then pending.ad = pending.ad + e.amount end
    if e.in_run and e.run == h.run_id then pending.run = pending.run + e.amount end
  end
end

-- Sets an absent period counter and forgets the fields of OLDER periods of its kind ('m:' or 'd:'; period keys
-- compare as strings). A newer period is kept: an instance whose clock lags may load the previous one.
local function set_counter(key, field, value)
  if redis.call('HSETNX', key, field, istr(value)) == 0 then return end
  redis.call('HSET', key, 'lt:' .. field, istr(h.now))
  local kind = string.sub(field, 1, 2)
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if string.sub(f, 1, 2) == kind and f < field then redis.call('HDEL', key, f, 'lt:' .. f) end
  end
end
set_counter(k.customer, 'm:' .. h.p.mk, tonumber(ARGV[25]) + pending.cm)
set_counter(k.agent, 'm:' .. h.p.mk, tonumber(ARGV[26]) + pending.am)
set_counter(k.agent, 'd:' .. h.p.dk, tonumber(ARGV[27]) + pending.ad)
if h.run_id ~= '' then
  redis.call('SET', k.run, istr(tonumber(ARGV[28]) + pending.run), 'NX', 'EX', C.RUN_TTL)
end

-- Velocity follows the stored agent's limits (they may be newer than this load's).
local agent = read_agent(k.agent)
if agent.vw then
  local ws = tonumber(redis.call('HGET', k.vel, 'ws') or '-1')
  if ws ~= agent.vw then
    local old, old_width = nil, nil
    if ws > 0 then
      old = {}
      old_width = vwindow(h.now, ws)
      local fields = redis.call('HGETALL', k.vel)
      for i = 1, #fields, 2 do
        if fields[i] ~= 'ws' then old[tonumber(fields[i])] = tonumber(fields[i + 1]) end
      end
    end
    local db = {}
    for i = 30, holds_count_at - 1, 2 do db[tonumber(ARGV[i])] = (db[tonumber(ARGV[i])] or 0) + tonumber(ARGV[i + 1]) end
    local rebuilt = rebuilt_velocity(agent.vw, h.now, db, old, old_width, mine)
    redis.call('DEL', k.vel)
    redis.call('HSET', k.vel, 'ws', istr(agent.vw))
    for bucket, micros in pairs(rebuilt) do redis.call('HSET', k.vel, istr(bucket), istr(micros)) end
    redis.call('EXPIRE', k.vel, C.VELOCITY_KEEP)
  end
end

-- Loop detection follows the stored agent's limit too: PostgreSQL's occurrences and the ones still in flight (kept
-- for another window, or none), one per token (memory-store.ts loadCounters).
if agent.qm and tonumber(redis.call('HGET', k.rp, 'ws') or '-1') ~= agent.qw then
  local kept = {}
  local fields = redis.call('HGETALL', k.rp)
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 't:' then
      local f = split(fields[i + 1], '|')
      kept[#kept + 1] = { string.sub(fields[i], 3), f[1], tonumber(f[2]) }
    end
  end
  redis.call('DEL', k.rp, k.rpz)
  redis.call('HSET', k.rp, 'ws', istr(agent.qw))
  for i = repeats_at, #ARGV, 3 do kept[#kept + 1] = { ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]) } end
  for _, o in ipairs(kept) do add_repeat(k, o[1], o[2], o[3], agent.qw) end
  prune_repeats(k, h.now - agent.qw * 1000)
  for _, key in ipairs({ k.rp, k.rpz }) do redis.call('EXPIRE', key, agent.qw + C.REPEATS_SLACK) end
end
for _, key in ipairs({ k.agent, k.customer }) do redis.call('EXPIRE', key, C.STATE_KEEP) end
return { 'ok' }
