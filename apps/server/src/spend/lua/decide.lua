#!lua
-- SpendStore.decide (docs/api.md §5/§6), one atomic step. Mirrors memory-store.ts decide() + decide.ts judge().
-- KEYS, ARGV 1-9: store.lua header. ARGV 10 token, 11 request hash digest, 12 amount, 13 hold expires at|'',
-- 14 idempotency key digest, 15 fingerprint digest|'' (loop detection), 16 the id of the API key the request came
-- with|'' (checked against the customer's revocation markers), 17 the number of carried completions, then their
-- triples; KEYS 18 on: their claim and agent keys (store.lua complete_carried).
-- Reply: {'epoch', ...} | {'revoked'} | {'replay'|'in_flight'|'reused'} | {'missing', part...}
--      | {'accepted', status version, <limits: 8 fields>, <view before: 9 fields>}
--      | {'declined', status version, <limits: 8>, <view before: 9>, <decline fields (rules.lua verdict_reply)>}
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local k, h = agent_keys(), header()
local token, hash, amount, hold_expires = ARGV[10], ARGV[11], tonumber(ARGV[12]), ARGV[13]

-- 0. Earlier requests of this customer that committed: completed first, so this decision sees them as a separate
--    complete before it would have (a retry of one of them replays; their entries count as confirmed).
complete_carried(k, 18, 17)

-- The API key was revoked (api-keys.ts: the marker is written after the revocation committed, and a rebuild of the
-- customer writes those of recent revocations again): nothing is claimed, counted or created.
if ARGV[16] ~= '' and redis.call('HEXISTS', k.customer, 'rk:' .. ARGV[16]) == 1 then return { 'revoked' } end

-- 1. Idempotency: a known key answers without reading anything else — unless the claim is this very request's
--    (its reply was lost, or it decides again after a rebuild): then its earlier decision is replaced.
local claim = read_claim(k.claim)
if claim then
  if claim.hash ~= hash then return { 'reused' } end
  if claim.completed then return { 'replay' } end
  if claim.token ~= token then return { 'in_flight' } end
  take_back(k, token)
end

-- 2. Everything the decision needs must be present; if not, nothing is claimed.
local fp = ARGV[15]
local v, missing = read_view(k, h, fp)
if not v then return append({ 'missing' }, missing) end
redis.call('SET', k.claim, 'f' .. hash .. '|' .. token, 'EX', C.IN_FLIGHT_TTL)

local hold = hold_expires ~= ''
local verdict = judge(v.agent, v.climit, v, amount, h.run_id, hold, h.p, h.now)
local head = append({ istr(v.agent.sv) }, limits_reply(v))
if verdict.kind == 'decline' then
  -- judge only flips an agent nothing suspends: a mark still here is a lapsed day/month flip, replaced.
  if verdict.flip_reason and verdict.flip_reason ~= '' then place_flip(k, h, token, verdict) end
  return append(append(append({ 'declined' }, head), view_reply(v)), verdict_reply(verdict))
end

-- 3. Accept: count it everywhere, or hold it.
if hold then
  add_hold(k, token, h.agent_id, h.run_id, amount, tonumber(hold_expires), h.now)
else
  count(k, h, v, amount, token, { ARGV[14], hash })
end
-- Held or spent, it counts once for loop detection (its commit adds nothing).
if v.repeats then add_repeat(k, token, fp, h.now, v.agent.qw) end
return append(append({ 'accepted' }, head), view_reply(v))
