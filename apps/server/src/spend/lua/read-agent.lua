#!lua
-- SpendStore.readAgent: the stored row and provisional mark. KEYS 1 epoch, 2 agent. ARGV 1 epoch.
-- Reply: {'agent', lv sv st rs at pd lm ld lr vw vm qm qw (13 fields, as agentArgs), pv} | {'absent'}
local bad = epoch_mismatch(KEYS[1], ARGV[1])
if bad then return bad end
local f = redis.call('HMGET', KEYS[2], 'lv', 'sv', 'st', 'rs', 'at', 'pd', 'lm', 'ld', 'lr', 'vw', 'vm', 'qm', 'qw', 'pv')
if not f[2] then return { 'absent' } end
local reply = { 'agent' }
for i = 1, 14 do reply[#reply + 1] = f[i] or '' end
return reply
