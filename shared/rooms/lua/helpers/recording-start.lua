--- @include "helpers/recording"

-- Starting a room's recording (helpers/recording has the layout).

-- The targets whose start failed for good in this generation.
local function failedTargets(rec)
  local failed = {}
  for _, field in ipairs(redis.call('HKEYS', rec)) do
    if string.sub(field, 1, 2) == 'f:' then failed[#failed + 1] = field end
  end
  return failed
end

-- Records the room (by: admin or auto); false when it already records. A new
-- start is a new generation: the failures of the last one are forgotten, so
-- starting a room whose recording failed tries again.
local function startRecording(r, by)
  local rec = recordingKeys(r)
  local failed = failedTargets(rec)
  if redis.call('HGET', rec, 'want') == 'on' and #failed == 0 then return false end
  redis.call('HSET', rec, 'want', 'on', 'by', by, 'since', now)
  redis.call('HINCRBY', rec, 'gen', 1)
  for _, field in ipairs(failed) do redis.call('HDEL', rec, field) end
  recordingDue(r)
  return true
end

-- A stream room records one task per pusher stream: a pusher joining a
-- recorded room needs its own.
local function recordJoiner(r)
  local rec = recordingKeys(r)
  if redis.call('HGET', rec, 'want') ~= 'on' then return false end
  recordingDue(r)
  return true
end
