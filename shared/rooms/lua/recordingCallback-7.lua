--- A recording callback of Tencent's (TRTC cloud recording, live recording
--- files) about a room this service records: its event once, whatever the
--- retries, duplicates and late copies (helpers/recording).
-- KEYS
--   1 recording       the room's recording hash (helpers/recording)
--   2 recordingFiles  callbacks already turned into events
--   3 room            the room hash
--   4 events          the event log (helpers/events)
--   5 eventCount      the event log's position counter
--   6 seq             the room's event sequence key
--   7 recordingDue    this type's recording outbox
-- ARGV: the common ones (helpers/admission), then 1 kind:
--     ready    a file is stored           (recording_ready, once per arg 2)
--     failed   the recorder or an upload failed (recording_failed, once per
--              arg 2; a failed recorder's target is marked failed: not
--              restarted by itself, an admin's start tries again)
--     stopped  the recorder left by itself (recording_stopped, once: only
--              while the task is the target's current one)
--   2 what makes it unique (a file id; task id + event), 3 task id,
--   4 target, 5 reason ('' none), 6 userID ('' none), 7 event fields (JSON
--   object members).
-- Reply: {'OK', outcome}: recorded, duplicate, unknown (no recording of this
--   room is known here: not ours, or so late its record is gone).
--- @include "helpers/recording"
--- @include "helpers/events"

local rec, files = KEYS[1], KEYS[2]
local r = {id = roomId, type = roomType, hash = KEYS[3], seq = KEYS[6], log = KEYS[4], logCount = KEYS[5], backstop = backstop,
  rec = rec, recbox = KEYS[7]}
local function given(v) if v == '' then return nil end return v end
if redis.call('EXISTS', rec) == 0 then return {'OK', 'unknown'} end
local kind, task, target = arg(1), arg(3), arg(4)
if kind == 'stopped' then
  if redis.call('HGET', rec, 't:' .. target) ~= task then return {'OK', 'duplicate'} end
  redis.call('HDEL', rec, 't:' .. target)
  appendEvent(r, 'recording_stopped', given(arg(6)), given(arg(5)), arg(7))
  return {'OK', 'recorded'}
end
if redis.call('SADD', files, arg(2)) == 0 then return {'OK', 'duplicate'} end
redis.call('PEXPIRE', files, math.max(logMaxAge, backstop))
if kind == 'failed' then
  if redis.call('HGET', rec, 't:' .. target) == task then
    redis.call('HDEL', rec, 't:' .. target)
    redis.call('HSET', rec, 'f:' .. target, arg(5))
  end
  appendEvent(r, 'recording_failed', given(arg(6)), given(arg(5)), arg(7))
else
  appendEvent(r, 'recording_ready', given(arg(6)), nil, arg(7))
end
keepRecording(rec)
return {'OK', 'recorded'}
