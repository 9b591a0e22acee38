--- Claims a room's due recording work for one performer (a lease, like the
--- effect outbox's): nothing when no work is due or another performer holds
--- the lease. Changes made while it works set `dirty`; recordingSettle then
--- leaves the work due again.
-- KEYS
--   1 recording     the room's recording hash (helpers/recording)
--   2 recordingDue  this type's recording outbox
--   3 room          the room hash
--   4 pushers       seats: userID -> seat JSON (a stream room's streams)
-- ARGV: the common ones (helpers/admission; 7 the lease), no own arguments.
-- Reply: {'OK', 0} (nothing to do), or {'OK', 1, want, gen, tasks (flat
--   target, task id, ...), failed targets (list), seat JSONs (list), why it
--   was turned off ('' while on)}.
--- @include "helpers/recording"

local rec, box = KEYS[1], KEYS[2]
if not redis.call('ZSCORE', box, roomId) then return {'OK', 0} end
if tonumber(redis.call('HGET', rec, 'lease') or '0') > now then return {'OK', 0} end
if redis.call('EXISTS', rec) == 0 then
  redis.call('ZREM', box, roomId) -- expired with nothing left to stop
  return {'OK', 0}
end
redis.call('HSET', rec, 'lease', now + lease)
redis.call('HDEL', rec, 'dirty')
redis.call('ZADD', box, now + lease, roomId) -- the sweeper's retry if this performer dies
local tasks, failed = {}, {}
local fields = redis.call('HGETALL', rec)
for i = 1, #fields, 2 do
  local prefix, target = string.sub(fields[i], 1, 2), string.sub(fields[i], 3)
  if prefix == 't:' then
    tasks[#tasks + 1] = target
    tasks[#tasks + 1] = fields[i + 1]
  elseif prefix == 'f:' then
    failed[#failed + 1] = target
  end
end
local seats = {}
if redis.call('EXISTS', KEYS[3]) == 1 then seats = redis.call('HVALS', KEYS[4]) end
local want = redis.call('HGET', rec, 'want') or 'off'
return {'OK', 1, want, redis.call('HGET', rec, 'gen') or '0', tasks, failed, seats, want == 'on' and '' or (redis.call('HGET', rec, 'why') or '')}
