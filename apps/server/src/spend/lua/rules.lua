-- The decision rules, pure (no redis.call): decide.ts mirrored function for function. redis-store.ts inserts this
-- file into every script after its `#!lua` line; test/spend/parity.test.ts runs these functions through EVAL
-- against decide.ts on random cases. All amounts are integers below 2^53; numbers are formatted with %d (never
-- tostring, which switches to exponent notation above 1e14).

local function istr(n) return string.format('%d', n) end

local function num(v)
  if v == false or v == nil or v == '' then return nil end
  return tonumber(v)
end

local function opt(n)
  if n == nil then return '' end
  return istr(n)
end

local function append(t, items)
  for _, x in ipairs(items) do t[#t + 1] = x end
  return t
end

-- Splits on a one-character separator, keeping empty fields ("a||b" → {'a', '', 'b'}).
local function split(s, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      out[#out + 1] = string.sub(s, start)
      return out
    end
    out[#out + 1] = string.sub(s, start, i - 1)
    start = i + 1
  end
end

-- periods.ts velocityWindow, exactly: bucket width, current bucket, first bucket of the window.
local function vwindow(now, window_seconds)
  local w = math.max(1, math.ceil(window_seconds / 60))
  local ms = math.floor(now)
  local second = (ms - (ms % 1000)) / 1000
  return w, math.floor(second / w), math.floor((second - window_seconds) / w)
end

-- decide.ts budgetPeriodOver: a budget_exceeded suspension (or flip) whose period (month or day key) is before the
-- current one (a key ahead of it is not over).
local function period_over(reason, key, month_key, day_key)
  if reason ~= 'budget_exceeded' or key == nil or key == '' then return false end
  if string.len(key) == 7 then return key < month_key end
  return key < day_key
end

-- decide.ts effectiveSuspension: the row's suspension unless lapsed, else a provisional flip or suspend (a flip of
-- a budget lapses with its period too).
local function suspension(a, month_key, day_key, now)
  if a.st == 'suspended' and not period_over(a.rs, a.pd, month_key, day_key) then
    local reason = a.rs
    if reason == '' then reason = 'manual' end
    return reason, a.at or now
  end
  if a.prov and not period_over(a.prov.reason, a.prov.key, month_key, day_key) then
    return a.prov.reason, a.prov.at
  end
  return nil
end

local function committed(counter, pending)
  local c = counter - pending
  if c < 0 then return 0 end
  return c
end

local function over(scope, period, limit, spent, resets, flip_reason, flip_key)
  return {
    kind = 'decline', code = 'budget_exceeded', scope = scope, period = period, limit = limit, spent = spent,
    resets = resets, flip_reason = flip_reason, flip_key = flip_key,
  }
end

-- decide.ts judge. a: agent (st rs at pd lm ld lr vw vm qm qw prov), climit: customer limit or nil, v: view
-- (cm am ad velocity run held_c held_a held_r pend_a repeats), p: periods (mk dk mr dr). resets: number or ''.
local function judge(a, climit, v, amount, run_id, hold, p, now)
  local reason, at = suspension(a, p.mk, p.dk, now)
  if reason then return { kind = 'decline', code = 'agent_suspended', reason = reason, at = at } end
  -- v.repeats: requests with this fingerprint in the window before this one (nil: not counted).
  if a.qm and v.repeats and v.repeats + 1 > a.qm then
    return {
      kind = 'decline', code = 'loop_detected', count = v.repeats + 1, window = a.qw, flip_reason = 'loop_detected',
      flip_key = '',
    }
  end
  local customer_spent = v.cm + v.held_c
  if climit and customer_spent + amount > climit then
    return over('customer', 'month', climit, customer_spent, p.mr, '', '')
  end
  if run_id ~= '' and a.lr then
    local run_spent = (v.run or 0) + v.held_r
    if run_spent + amount > a.lr then return over('agent', 'run', a.lr, run_spent, '', '', '') end
  end
  local function may_flip(counter, limit)
    return (not hold) and committed(counter, v.pend_a) + amount > limit
  end
  local agent_month = v.am + v.held_a
  if a.lm and agent_month + amount > a.lm then
    if may_flip(v.am, a.lm) then return over('agent', 'month', a.lm, agent_month, p.mr, 'budget_exceeded', p.mk) end
    return over('agent', 'month', a.lm, agent_month, p.mr, '', '')
  end
  local agent_day = v.ad + v.held_a
  if a.ld and agent_day + amount > a.ld then
    if may_flip(v.ad, a.ld) then return over('agent', 'day', a.ld, agent_day, p.dr, 'budget_exceeded', p.dk) end
    return over('agent', 'day', a.ld, agent_day, p.dr, '', '')
  end
  if a.vw then
    -- Open holds count against velocity as against every other limit (docs/api.md §6).
    local velocity = (v.velocity or 0) + v.held_a
    if velocity + amount > a.vm then
      if may_flip(v.velocity or 0, a.vm) then
        return over('agent', 'velocity', a.vm, velocity, '', 'velocity_exceeded', '')
      end
      return over('agent', 'velocity', a.vm, velocity, '', '', '')
    end
  end
  return { kind = 'accept' }
end

-- decide.ts judgeAfterCommit: v is the view before the actual cost was counted.
local function judge_after_commit(a, v, actual, p, now)
  if suspension(a, p.mk, p.dk, now) then return { kind = 'accept' } end
  local function after(counter) return committed(counter, v.pend_a) + actual end
  if a.lm and after(v.am) > a.lm then
    return over('agent', 'month', a.lm, v.am + actual, p.mr, 'budget_exceeded', p.mk)
  end
  if a.ld and after(v.ad) > a.ld then
    return over('agent', 'day', a.ld, v.ad + actual, p.dr, 'budget_exceeded', p.dk)
  end
  if a.vw and v.velocity and after(v.velocity) > a.vm then
    return over('agent', 'velocity', a.vm, v.velocity + actual, '', 'velocity_exceeded', '')
  end
  return { kind = 'accept' }
end

-- A verdict as reply fields: 'accept', or the decline's fields (rules reply format, redis-store.ts parseDecline).
local function verdict_reply(verdict)
  if verdict.kind == 'accept' then return { 'accept' } end
  if verdict.code == 'agent_suspended' then return { 'agent_suspended', verdict.reason, istr(verdict.at) } end
  if verdict.code == 'loop_detected' then return { 'loop_detected', istr(verdict.count), istr(verdict.window) } end
  local resets = verdict.resets
  if resets ~= '' then resets = istr(resets) end
  return {
    'budget_exceeded', verdict.scope, verdict.period, istr(verdict.limit), istr(verdict.spent), resets,
    verdict.flip_reason, verdict.flip_key,
  }
end

-- memory-store.ts rebuiltVelocity: PostgreSQL's buckets, and per bucket the larger of them and the old bucket set
-- (each old bucket moved to the new bucket holding its last second) or, without old buckets, the entries on top.
-- old: {bucket → micros} or nil, old_width; db: {bucket → micros}; entries: list of {amount, at}.
local function rebuilt_velocity(window_seconds, now, db, old, old_width, entries)
  local w, _, first = vwindow(now, window_seconds)
  local cached = {}
  if old then
    for bucket, micros in pairs(old) do
      local target = math.floor(((bucket + 1) * old_width - 1) / w)
      cached[target] = (cached[target] or 0) + micros
    end
  else
    for _, e in ipairs(entries) do
      local _, bucket = vwindow(e.at, window_seconds)
      cached[bucket] = (cached[bucket] or 0) + e.amount
    end
  end
  local buckets = {}
  for bucket, micros in pairs(db) do buckets[bucket] = (buckets[bucket] or 0) + micros end
  for bucket, micros in pairs(cached) do
    local from_db = buckets[bucket] or 0
    if old then
      buckets[bucket] = math.max(from_db, micros)
    else
      buckets[bucket] = from_db + micros
    end
  end
  for bucket in pairs(buckets) do
    if bucket < first then buckets[bucket] = nil end
  end
  return buckets
end
