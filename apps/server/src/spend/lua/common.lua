-- Shared helpers, inserted by redis-store.ts right after each script's `#!lua` line.
-- Mirrors decide.ts / memory-store.ts: keep both in step. All amounts are integers below 2^53; numbers are
-- formatted with %d (never tostring, which switches to exponent notation above 1e14).

local function istr(n) return string.format('%d', n) end

local function num(v)
  if v == false or v == nil or v == '' then return nil end
  return tonumber(v)
end

-- periods.ts velocityWindow, exactly: bucket width, current bucket, first bucket of the window.
local function vwindow(now, window_seconds)
  local w = math.max(1, math.ceil(window_seconds / 60))
  local ms = math.floor(now)
  local second = (ms - (ms % 1000)) / 1000
  return w, math.floor(second / w), math.floor((second - window_seconds) / w)
end

local function read_agent(key)
  local f = redis.call('HMGET', key, 'st', 'rs', 'at', 'pd', 'lm', 'ld', 'lr', 'vw', 'vm')
  if not f[1] then return nil end
  return {
    st = f[1], rs = f[2] or '', at = num(f[3]), pd = f[4] or '',
    lm = num(f[5]), ld = num(f[6]), lr = num(f[7]), vw = num(f[8]), vm = num(f[9]),
  }
end

-- Adds delta to a held-total field, deleting it at zero so the totals hash stays small.
local function add_held(ht, field, delta)
  if redis.call('HINCRBY', ht, field, istr(delta)) == 0 then redis.call('HDEL', ht, field) end
end

-- Removes one hold and subtracts it from the totals; returns its amount, or nil if it was not held.
local function drop_hold(hz, hh, ht, id)
  redis.call('ZREM', hz, id)
  local v = redis.call('HGET', hh, id)
  if not v then return nil end
  redis.call('HDEL', hh, id)
  local agent, run, amount = string.match(v, '^([^|]*)|([^|]*)|(%d+)$')
  amount = tonumber(amount)
  add_held(ht, 'c', -amount)
  add_held(ht, 'a:' .. agent, -amount)
  if run ~= '' then add_held(ht, 'r:' .. agent .. '|' .. run, -amount) end
  return amount
end

-- Holds expire by themselves: every operation first drops (a bounded number of) those with expiresAt <= now.
local function expire_holds(hz, hh, ht, now, batch)
  local ids = redis.call('ZRANGEBYSCORE', hz, '-inf', istr(now), 'LIMIT', 0, batch)
  for _, id in ipairs(ids) do drop_hold(hz, hh, ht, id) end
end

local function add_hold(hz, hh, ht, id, agent_id, run_id, amount, expires_at)
  if redis.call('HEXISTS', hh, id) == 1 then return end
  redis.call('ZADD', hz, istr(expires_at), id)
  redis.call('HSET', hh, id, agent_id .. '|' .. run_id .. '|' .. istr(amount))
  add_held(ht, 'c', amount)
  add_held(ht, 'a:' .. agent_id, amount)
  if run_id ~= '' then add_held(ht, 'r:' .. agent_id .. '|' .. run_id, amount) end
end

-- Sum of the buckets in [first, current] and the fields older than the window (to prune on the next write).
local function velocity_sum(key, first, current)
  local all = redis.call('HGETALL', key)
  local sum, stale = 0, {}
  for i = 1, #all, 2 do
    local field = all[i]
    if field ~= 'ws' then
      local bucket = tonumber(field)
      if bucket < first then
        stale[#stale + 1] = field
      elseif bucket <= current then
        sum = sum + tonumber(all[i + 1])
      end
    end
  end
  return sum, stale
end

-- Everything a decision reads (memory-store.ts read()). k: key table; returns view or nil, missing parts.
local function read_view(k, now, agent_id, run_id, batch)
  local missing = {}
  local agent = read_agent(k.agent)
  if not agent then missing[#missing + 1] = 'agent' end
  local climit = redis.call('HGET', k.customer, 'lim')
  if not climit then missing[#missing + 1] = 'customer' end
  if redis.call('HEXISTS', k.ht, 'loaded') == 0 then missing[#missing + 1] = 'holds' end
  local cm = redis.call('GET', k.cm)
  if not cm then missing[#missing + 1] = 'customer_month' end
  local am = redis.call('GET', k.am)
  if not am then missing[#missing + 1] = 'agent_month' end
  local ad = redis.call('GET', k.ad)
  if not ad then missing[#missing + 1] = 'agent_day' end
  local velocity, stale, vcur = nil, {}, nil
  if agent and agent.vw then
    local _, current, first = vwindow(now, agent.vw)
    -- The buckets are only valid for the window they were kept (pruned) for: another window means a rebuild.
    local stored_window = redis.call('HGET', k.vel, 'ws')
    if (not stored_window) or tonumber(stored_window) ~= agent.vw then
      missing[#missing + 1] = 'velocity'
    else
      velocity, stale = velocity_sum(k.vel, first, current)
      vcur = current
    end
  elseif agent then
    -- Not tracked without a limit: forget old buckets so a limit set later starts from a rebuild.
    redis.call('DEL', k.vel)
  end
  local run = nil
  if run_id ~= '' then
    local r = redis.call('GET', k.run)
    if r then
      run = tonumber(r)
    elseif agent and agent.lr then
      missing[#missing + 1] = 'run'
    end
  end
  if #missing > 0 then return nil, missing end
  expire_holds(k.hz, k.hh, k.ht, now, batch)
  local run_field = 'c'
  if run_id ~= '' then run_field = 'r:' .. agent_id .. '|' .. run_id end
  local held = redis.call('HMGET', k.ht, 'c', 'a:' .. agent_id, run_field)
  local held_run = 0
  if run_id ~= '' then held_run = num(held[3]) or 0 end
  return {
    agent = agent, climit = num(climit), cm = tonumber(cm), am = tonumber(am), ad = tonumber(ad),
    velocity = velocity, stale = stale, vcur = vcur, run = run,
    held_c = num(held[1]) or 0, held_a = num(held[2]) or 0, held_r = held_run,
  }
end

-- Counts spent money in every period the agent tracks (memory-store.ts count()).
local function count(k, v, amount, run_id, velocity_keep, run_ttl)
  local a = istr(amount)
  redis.call('INCRBY', k.cm, a)
  redis.call('INCRBY', k.am, a)
  redis.call('INCRBY', k.ad, a)
  if run_id ~= '' and v.run then
    redis.call('INCRBY', k.run, a)
    redis.call('EXPIRE', k.run, run_ttl)
  end
  if v.agent.vw and v.velocity then
    if #v.stale > 0 then redis.call('HDEL', k.vel, unpack(v.stale)) end
    redis.call('HINCRBY', k.vel, istr(v.vcur), a)
    redis.call('EXPIRE', k.vel, velocity_keep)
  end
end

local function opt(n)
  if n == nil then return '' end
  return istr(n)
end

-- The view as a reply: cm, am, ad, velocity|'', run|'', held c/a/r.
local function view_reply(v)
  return { istr(v.cm), istr(v.am), istr(v.ad), opt(v.velocity), opt(v.run), istr(v.held_c), istr(v.held_a), istr(v.held_r) }
end

local function append(t, items)
  for _, x in ipairs(items) do t[#t + 1] = x end
  return t
end

local function set_suspended(key, reason, now, period)
  redis.call('HSET', key, 'st', 'suspended', 'rs', reason, 'at', istr(now), 'pd', period)
end

local function set_active(key)
  redis.call('HSET', key, 'st', 'active', 'rs', '', 'at', '', 'pd', '')
end
