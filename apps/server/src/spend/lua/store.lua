-- Data access shared by the spend scripts, inserted after rules.lua (redis-store.ts). memory-store.ts is the same
-- store in TypeScript: keep both in step (the contract suite and the differential test run them side by side).
--
-- Every agent-scoped script takes the same KEYS (redis-store.ts agentScriptKeys) and ARGV header:
--   KEYS 1 epoch, 2 claim (or a same-slot placeholder), 3 agent, 4 customer, 5 velocity, 6 run (or placeholder),
--        7 entries, 8 entries by time, 9 holds by expiry, 10 holds by id, 11 totals, 12 customer contributions,
--        13 agent contributions, 14 open index, 15 agents with a provisional mark, 16 repeats (loop detection),
--        17 repeats by time
--   ARGV 1 epoch, 2 agent id, 3 customer id, 4 run id|'', 5 now, 6 month key, 7 day key, 8 month resets at,
--        9 day resets at; the script's own arguments from 10.
-- C (the constants) is generated from decide.ts by redis-store.ts and inserted before rules.lua.

local function agent_keys()
  return {
    epoch = KEYS[1], claim = KEYS[2], agent = KEYS[3], customer = KEYS[4], vel = KEYS[5], run = KEYS[6],
    o = KEYS[7], oz = KEYS[8], hz = KEYS[9], hh = KEYS[10], ot = KEYS[11], cq = KEYS[12], aq = KEYS[13],
    idx = KEYS[14], pvset = KEYS[15], rp = KEYS[16], rpz = KEYS[17],
  }
end

local function header()
  return {
    agent_id = ARGV[2], customer_id = ARGV[3], run_id = ARGV[4], now = tonumber(ARGV[5]),
    p = { mk = ARGV[6], dk = ARGV[7], mr = tonumber(ARGV[8]), dr = tonumber(ARGV[9]) },
  }
end

-- The caller's epoch must be the current one: an older caller refreshes it, a missing epoch is re-established
-- (redis-store.ts). Reply {'epoch', current id, since} — nothing was read or written.
local function epoch_mismatch(key, expected)
  local e = redis.call('HMGET', key, 'id', 'since')
  if e[1] ~= expected then return { 'epoch', e[1] or '', e[2] or '' } end
  return nil
end

-- A claim: "f<hash digest>|<token>" (in flight) or "c<hash digest>" (completed); nil when absent.
local function read_claim(key)
  local stored = redis.call('GET', key)
  if not stored then return nil end
  local f = split(string.sub(stored, 2), '|')
  return { completed = string.sub(stored, 1, 1) == 'c', hash = f[1], token = f[2] }
end

-- pv = "kind|token|reason|at|period|period key|limit|spent|resets": a provisional flip (f, with the decline that
-- placed it) or a person's provisional suspend (s).
local function parse_provisional(pv)
  if not pv or pv == '' then return nil end
  local f = split(pv, '|')
  return {
    kind = f[1], token = f[2], reason = f[3], at = tonumber(f[4]), period = f[5], key = f[6], limit = f[7],
    spent = f[8], resets = f[9],
  }
end

-- The agent's row as stored (loaded = false when only a provisional suspend is there, or nothing).
local function read_agent(key)
  local f = redis.call('HMGET', key, 'lv', 'sv', 'st', 'rs', 'at', 'pd', 'lm', 'ld', 'lr', 'vw', 'vm', 'pv', 'qm', 'qw')
  local a = { pv = f[12] or '', prov = parse_provisional(f[12]) }
  if not f[2] then return a, false end
  a.lv, a.sv, a.st, a.rs, a.at, a.pd = tonumber(f[1]), tonumber(f[2]), f[3], f[4] or '', num(f[5]), f[6] or ''
  a.lm, a.ld, a.lr, a.vw, a.vm = num(f[7]), num(f[8]), num(f[9]), num(f[10]), num(f[11])
  a.qm, a.qw = num(f[13]), num(f[14])
  return a, true
end

-- Compare-and-set of a PostgreSQL row (s: lv sv st rs at pd lm ld lr vw vm qm qw, as strings; qm/qw: the repeats
-- limit's max and window): each part is taken only if its version is newer than the stored one.
local function cas_agent(key, s)
  local cur = redis.call('HMGET', key, 'lv', 'sv')
  local changed = false
  if (not cur[1]) or tonumber(s[1]) > tonumber(cur[1]) then
    redis.call('HSET', key, 'lv', s[1], 'lm', s[7], 'ld', s[8], 'lr', s[9], 'vw', s[10], 'vm', s[11], 'qm', s[12],
      'qw', s[13])
    changed = true
  end
  if (not cur[2]) or tonumber(s[2]) > tonumber(cur[2]) then
    redis.call('HSET', key, 'sv', s[2], 'st', s[3], 'rs', s[4], 'at', s[5], 'pd', s[6])
    changed = true
  end
  redis.call('EXPIRE', key, C.STATE_KEEP)
  return changed
end

local function cas_customer(key, version, limit)
  local cur = redis.call('HGET', key, 'v')
  if (not cur) or tonumber(version) > tonumber(cur) then redis.call('HSET', key, 'v', version, 'lim', limit) end
  redis.call('EXPIRE', key, C.STATE_KEEP)
end

-- Adds delta to a totals field, deleting it at zero so the totals hash stays small.
local function add_total(ot, field, delta)
  if redis.call('HINCRBY', ot, field, istr(delta)) == 0 then redis.call('HDEL', ot, field) end
end

-- Subtracts from a counter field if it is there (never re-created, never below 0): a counter that vanished is
-- rebuilt from PostgreSQL, which never had what is taken back.
local function sub_field(key, field, amount)
  if redis.call('HEXISTS', key, field) == 0 then return end
  if redis.call('HINCRBY', key, field, istr(-amount)) < 0 then redis.call('HSET', key, field, '0') end
end

local function held_fields(agent_id, run_id)
  local fields = { 'ha:' .. agent_id }
  if run_id ~= '' then fields[2] = 'hr:' .. agent_id .. '|' .. run_id end
  return fields
end

-- Removes one hold and subtracts it from the totals; returns its amount, or nil if it was not held.
local function drop_hold(k, id)
  redis.call('ZREM', k.hz, id)
  local v = redis.call('HGET', k.hh, id)
  if not v then return nil end
  redis.call('HDEL', k.hh, id)
  local f = split(v, '|')
  local amount = tonumber(f[3])
  add_total(k.ot, 'hc', -amount)
  for _, field in ipairs(held_fields(f[1], f[2])) do add_total(k.ot, field, -amount) end
  return amount
end

-- Holds expire by themselves: every operation first drops (a bounded number of) those with expiresAt <= now.
local function expire_holds(k, now)
  local ids = redis.call('ZRANGEBYSCORE', k.hz, '-inf', istr(now), 'LIMIT', 0, C.EXPIRE_BATCH)
  for _, id in ipairs(ids) do drop_hold(k, id) end
end

local function add_hold(k, id, agent_id, run_id, amount, expires_at, created_at)
  if redis.call('HEXISTS', k.hh, id) == 1 then return end
  redis.call('ZADD', k.hz, istr(expires_at), id)
  redis.call('HSET', k.hh, id, agent_id .. '|' .. run_id .. '|' .. istr(amount) .. '|' .. istr(created_at))
  add_total(k.ot, 'hc', amount)
  for _, field in ipairs(held_fields(agent_id, run_id)) do add_total(k.ot, field, amount) end
  for _, key in ipairs({ k.hz, k.hh, k.ot }) do redis.call('EXPIRE', key, C.HOLDS_KEEP) end
end

-- Sum of the buckets from `first` on (later ones too: an instance whose clock runs ahead wrote them) and the
-- fields older than the window (to prune on the next write).
local function velocity_sum(key, first)
  local all = redis.call('HGETALL', key)
  local sum, stale = 0, {}
  for i = 1, #all, 2 do
    local field = all[i]
    if field ~= 'ws' then
      if tonumber(field) < first then
        stale[#stale + 1] = field
      else
        sum = sum + tonumber(all[i + 1])
      end
    end
  end
  return sum, stale
end

-- Loop detection (memory-store.ts RepeatTracker): rp holds ws (the window it is kept for), n:<fingerprint digest>
-- (occurrences in the window) and t:<token> = "<fingerprint digest>|<at>"; rpz orders the tokens by time.
local function forget_repeat(k, token)
  redis.call('ZREM', k.rpz, token)
  local v = redis.call('HGET', k.rp, 't:' .. token)
  if not v then return end
  local fp = split(v, '|')[1]
  redis.call('HDEL', k.rp, 't:' .. token)
  if redis.call('HINCRBY', k.rp, 'n:' .. fp, -1) <= 0 then redis.call('HDEL', k.rp, 'n:' .. fp) end
end

-- Occurrences at or before `cutoff` no longer count (a bounded batch per call: more stale ones only over-count).
local function prune_repeats(k, cutoff)
  local stale = redis.call('ZRANGEBYSCORE', k.rpz, '-inf', istr(cutoff), 'LIMIT', 0, C.EXPIRE_BATCH)
  for _, token in ipairs(stale) do forget_repeat(k, token) end
end

local function add_repeat(k, token, fp, at, window)
  if redis.call('HEXISTS', k.rp, 't:' .. token) == 1 then return end
  redis.call('HSET', k.rp, 't:' .. token, fp .. '|' .. istr(at))
  redis.call('HINCRBY', k.rp, 'n:' .. fp, 1)
  redis.call('ZADD', k.rpz, istr(at), token)
  for _, key in ipairs({ k.rp, k.rpz }) do redis.call('EXPIRE', key, window + C.REPEATS_SLACK) end
end

-- Everything a decision reads (memory-store.ts read()); nil and the missing parts when something is absent.
-- fp: the request's fingerprint digest ('' or nil: none), counted against the agent's repeats limit.
local function read_view(k, h, fp)
  local missing = {}
  local agent, loaded = read_agent(k.agent)
  if not loaded then missing[#missing + 1] = 'agent' end
  local c = redis.call('HMGET', k.customer, 'v', 'lim', 'm:' .. h.p.mk)
  if not c[1] then missing[#missing + 1] = 'customer' end
  if redis.call('HEXISTS', k.ot, 'ld') == 0 then missing[#missing + 1] = 'holds' end
  if not c[3] then missing[#missing + 1] = 'customer_month' end
  local counters = redis.call('HMGET', k.agent, 'm:' .. h.p.mk, 'd:' .. h.p.dk)
  if not counters[1] then missing[#missing + 1] = 'agent_month' end
  if not counters[2] then missing[#missing + 1] = 'agent_day' end
  local velocity, stale, vcur = nil, {}, nil
  if loaded and agent.vw then
    local _, current, first = vwindow(h.now, agent.vw)
    -- The buckets are only valid for the window they were kept (pruned) for: another window means a rebuild.
    if tonumber(redis.call('HGET', k.vel, 'ws') or '-1') ~= agent.vw then
      missing[#missing + 1] = 'velocity'
    else
      velocity, stale = velocity_sum(k.vel, first)
      vcur = current
    end
  elseif loaded then
    -- Not tracked without a limit: forget old buckets so a limit set later starts from a rebuild.
    redis.call('DEL', k.vel)
  end
  local run = nil
  if h.run_id ~= '' then
    local r = redis.call('GET', k.run)
    if r then
      run = tonumber(r)
    elseif loaded and agent.lr then
      missing[#missing + 1] = 'run'
    end
  end
  local repeats = nil
  if loaded and agent.qm then
    if fp and fp ~= '' then
      if tonumber(redis.call('HGET', k.rp, 'ws') or '-1') ~= agent.qw then
        missing[#missing + 1] = 'repeats'
      else
        prune_repeats(k, h.now - agent.qw * 1000)
        repeats = tonumber(redis.call('HGET', k.rp, 'n:' .. fp) or '0')
      end
    end
  elseif loaded and k.rp then
    -- Not tracked without a limit: a limit set later starts from PostgreSQL's fingerprints, not stale data.
    redis.call('DEL', k.rp, k.rpz)
  end
  if #missing > 0 then return nil, missing end
  expire_holds(k, h.now)
  local fields = { 'hc', 'ha:' .. h.agent_id, 'pa:' .. h.agent_id, 'hc' }
  if h.run_id ~= '' then fields[4] = 'hr:' .. h.agent_id .. '|' .. h.run_id end
  local t = redis.call('HMGET', k.ot, unpack(fields))
  local held_r = 0
  if h.run_id ~= '' then held_r = num(t[4]) or 0 end
  return {
    agent = agent, climit = num(c[2]), cm = tonumber(c[3]), am = tonumber(counters[1]),
    ad = tonumber(counters[2]), velocity = velocity, stale = stale, vcur = vcur, run = run,
    held_c = num(t[1]) or 0, held_a = num(t[2]) or 0, held_r = held_r, pend_a = num(t[3]) or 0, repeats = repeats,
  }
end

-- The view as reply fields: cm, am, ad, velocity|'', run|'', held c/a/r, pending of the agent.
local function view_reply(v)
  return {
    istr(v.cm), istr(v.am), istr(v.ad), opt(v.velocity), opt(v.run), istr(v.held_c), istr(v.held_a),
    istr(v.held_r), istr(v.pend_a),
  }
end

-- The limits the decision applied: agent month, day, run, velocity window, velocity max, customer month, repeats
-- max, repeats window.
local function limits_reply(v)
  local a = v.agent
  return { opt(a.lm), opt(a.ld), opt(a.lr), opt(a.vw), opt(a.vm), opt(v.climit), opt(a.qm), opt(a.qw) }
end

-- Customers with unconfirmed entries or provisional flips, for the reconciler (customer → since when).
local function index_open(k, h)
  redis.call('ZADD', k.idx, 'NX', istr(h.now), h.customer_id)
end

-- Counts spent money in every period the agent tracks as an entry under `token` (memory-store.ts count()):
-- the counters, the velocity bucket, the per-second contributions (reconciler.ts) and the unconfirmed total.
-- claim: {key digest, request hash digest} of the request's idempotency claim, or nil (a reservation commit).
local function count(k, h, v, amount, token, claim)
  local a = istr(amount)
  redis.call('HINCRBY', k.customer, 'm:' .. h.p.mk, a)
  redis.call('HINCRBY', k.agent, 'm:' .. h.p.mk, a)
  redis.call('HINCRBY', k.agent, 'd:' .. h.p.dk, a)
  local in_run = ''
  if h.run_id ~= '' and v.run then
    redis.call('INCRBY', k.run, a)
    redis.call('EXPIRE', k.run, C.RUN_TTL)
    in_run = '1'
  end
  local vws, vb = '', ''
  if v.agent.vw and v.velocity then
    if #v.stale > 0 then redis.call('HDEL', k.vel, unpack(v.stale)) end
    redis.call('HINCRBY', k.vel, istr(v.vcur), a)
    redis.call('EXPIRE', k.vel, C.VELOCITY_KEEP)
    vws, vb = istr(v.agent.vw), istr(v.vcur)
  end
  local second = istr(math.floor(h.now / 1000))
  for _, key in ipairs({ k.cq, k.aq }) do
    redis.call('HINCRBY', key, second, a)
    redis.call('EXPIRE', key, C.CONTRIBUTIONS_KEEP)
  end
  local key_digest, hash_digest = '', ''
  if claim then key_digest, hash_digest = claim[1], claim[2] end
  redis.call('HSET', k.o, token, table.concat({
    h.agent_id, h.run_id, a, istr(h.now), h.p.mk, h.p.dk, vws, vb, in_run, key_digest, hash_digest,
  }, '|'))
  redis.call('ZADD', k.oz, istr(h.now), token)
  add_total(k.ot, 'pa:' .. h.agent_id, amount)
  for _, key in ipairs({ k.o, k.oz, k.ot }) do redis.call('EXPIRE', key, C.HOLDS_KEEP) end
  for _, key in ipairs({ k.agent, k.customer }) do redis.call('EXPIRE', key, C.STATE_KEEP) end
  index_open(k, h)
end

local function parse_entry(value)
  local f = split(value, '|')
  return {
    agent = f[1], run = f[2], amount = tonumber(f[3]), at = tonumber(f[4]), mk = f[5], dk = f[6], vws = f[7],
    vb = f[8], in_run = f[9] == '1', key_digest = f[10] or '', hash_digest = f[11] or '',
  }
end

-- The entry is confirmed (its event is in PostgreSQL): it stays counted, no longer unconfirmed.
local function confirm_entry(k, token)
  local value = redis.call('HGET', k.o, token)
  if not value then return false end
  local e = parse_entry(value)
  add_total(k.ot, 'pa:' .. e.agent, -e.amount)
  redis.call('HDEL', k.o, token)
  redis.call('ZREM', k.oz, token)
  return true
end

-- Withdraws a provisional mark if it is the given kind's and token's (kind nil: either kind).
local function clear_provisional(agent_key, pvset, agent_id, token, kind)
  local prov = parse_provisional(redis.call('HGET', agent_key, 'pv'))
  if prov and prov.token == token and (kind == nil or prov.kind == kind) then
    redis.call('HDEL', agent_key, 'pv')
    redis.call('SREM', pvset, agent_id)
  end
end

local function clear_flip(k, token)
  clear_provisional(k.agent, k.pvset, ARGV[2], token, 'f')
end

-- SpendStore.complete for one request of this customer: marks its claim completed (if it is still this request's,
-- or gone), confirms its entry and withdraws its provisional flip. Running it twice changes nothing more.
-- hash: the request hash digest, '' when it holds no claim.
local function complete_one(k, claim_key, agent_key, agent_id, token, hash)
  if hash ~= '' then
    local claim = read_claim(claim_key)
    if (not claim) or (not claim.completed and claim.token == token) then
      redis.call('SET', claim_key, 'c' .. hash, 'EX', C.KEY_TTL)
    end
  end
  confirm_entry(k, token)
  clear_provisional(agent_key, k.pvset, agent_id, token, 'f')
end

-- Completions carried by another script of the same customer (redis-store.ts: a completion waits for the next
-- decision of its customer instead of a command of its own). ARGV[arg_at] = n, then n triples (token, request hash
-- digest|'', agent id); KEYS from key_at: the claim key and the agent key of each, in the same order.
local function complete_carried(k, key_at, arg_at)
  local n = tonumber(ARGV[arg_at] or '0') or 0
  for i = 0, n - 1 do
    local a = arg_at + 1 + 3 * i
    complete_one(k, KEYS[key_at + 2 * i], KEYS[key_at + 2 * i + 1], ARGV[a + 2], ARGV[a], ARGV[a + 1])
  end
end

-- Takes back exactly what `token` counted, held or flipped (memory-store.ts takeBack). Each part is removed as it
-- is taken back, so running it again changes nothing. Velocity, counters and contributions only where present.
local function take_back(k, token)
  forget_repeat(k, token)
  local value = redis.call('HGET', k.o, token)
  if value then
    local e = parse_entry(value)
    if e.agent == ARGV[2] then
      sub_field(k.customer, 'm:' .. e.mk, e.amount)
      sub_field(k.agent, 'm:' .. e.mk, e.amount)
      sub_field(k.agent, 'd:' .. e.dk, e.amount)
      if e.in_run and redis.call('EXISTS', k.run) == 1 then
        if redis.call('DECRBY', k.run, istr(e.amount)) < 0 then redis.call('SET', k.run, '0', 'KEEPTTL') end
      end
      if e.vws ~= '' and redis.call('HGET', k.vel, 'ws') == e.vws then sub_field(k.vel, e.vb, e.amount) end
      local second = istr(math.floor(e.at / 1000))
      sub_field(k.cq, second, e.amount)
      sub_field(k.aq, second, e.amount)
      add_total(k.ot, 'pa:' .. e.agent, -e.amount)
      redis.call('HDEL', k.o, token)
      redis.call('ZREM', k.oz, token)
    end
  end
  if redis.call('HEXISTS', k.ot, 'ld') == 1 then drop_hold(k, token) end
  clear_flip(k, token)
end

-- A decline's provisional flip (declines at once; PostgreSQL confirms or refuses it when the request commits).
local function place_flip(k, h, token, verdict)
  local resets = verdict.resets or ''
  if resets ~= '' then resets = istr(resets) end
  redis.call('HSET', k.agent, 'pv', table.concat({
    'f', token, verdict.flip_reason, istr(h.now), verdict.period or '', verdict.flip_key, opt(verdict.limit),
    opt(verdict.spent), resets,
  }, '|'))
  redis.call('SADD', k.pvset, h.agent_id)
  redis.call('EXPIRE', k.pvset, C.HOLDS_KEEP)
  index_open(k, h)
end

-- The provisional flip `token` placed, as decline reply fields (empty when it is not there).
local function flip_reply(k, token)
  local prov = parse_provisional(redis.call('HGET', k.agent, 'pv'))
  if not (prov and prov.kind == 'f' and prov.token == token) then return {} end
  return { 'budget_exceeded', 'agent', prov.period, prov.limit, prov.spent, prov.resets, prov.reason, prov.key }
end
