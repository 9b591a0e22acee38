--- Records what a performer's cloud calls did (shared/recording/perform.ts),
--- each with its event, and releases the claim: the work is done, due again
--- (changed meanwhile), or retried later (a call failed for now).
-- KEYS
--   1 recording     the room's recording hash (helpers/recording)
--   2 recordingDue  this type's recording outbox
--   3 room          the room hash
--   4 events        the event log (helpers/events)
--   5 eventCount    the event log's position counter
--   6 seq           the room's event sequence key
-- ARGV: the common ones (helpers/admission), then 1 outcomes: records split
--   by \30, fields by \31: kind, target, task id, reason, event fields (JSON
--   object members, built by shared/recording/events.ts); kinds:
--     started  the task records the target          (recording_started)
--     failed   starting it failed for good           (recording_failed, reason)
--     stopped  the task was stopped (or was gone)     (recording_stopped, reason)
--   2 retry after (ms; '0': no call failed for now).
-- Reply: {'OK', again (0/1: changed while claimed, run once more)}.
--- @include "helpers/recording"
--- @include "helpers/events"

local rec, box = KEYS[1], KEYS[2]
local r = {id = roomId, type = roomType, hash = KEYS[3], seq = KEYS[6], log = KEYS[4], logCount = KEYS[5], backstop = backstop}
local function given(v) if v == '' then return nil end return v end
for record in string.gmatch(arg(1), '[^\30]+') do
  local kind, target, task, reason, fields = string.match(record, '^([^\31]*)\31([^\31]*)\31([^\31]*)\31([^\31]*)\31(.*)$')
  if kind == 'started' then
    redis.call('HSET', rec, 't:' .. target, task)
    appendEvent(r, 'recording_started', nil, nil, fields)
  elseif kind == 'failed' then
    redis.call('HSET', rec, 'f:' .. target, reason)
    appendEvent(r, 'recording_failed', nil, given(reason), fields)
  elseif kind == 'stopped' and redis.call('HGET', rec, 't:' .. target) == task then
    -- (A stop callback may have told it first: then its event is out already.)
    redis.call('HDEL', rec, 't:' .. target)
    appendEvent(r, 'recording_stopped', nil, given(reason), fields)
  end
end
redis.call('HDEL', rec, 'lease')
keepRecording(rec)
local retry = tonumber(arg(2))
if redis.call('HGET', rec, 'dirty') == '1' then
  redis.call('ZADD', box, now, roomId)
  return {'OK', 1}
end
if retry > 0 then
  redis.call('ZADD', box, now + retry, roomId)
else
  redis.call('ZREM', box, roomId)
end
return {'OK', 0}
