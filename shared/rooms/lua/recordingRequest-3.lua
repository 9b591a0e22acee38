--- The admin API's start or stop of a room's recording (helpers/recording):
--- a start needs a room someone entered; either is a no-op when the room
--- already records (or does not). The cloud calls follow through the
--- recording outbox (recordingClaim / recordingSettle).
-- KEYS
--   1 recording     the room's recording hash (helpers/recording)
--   2 recordingDue  this type's recording outbox
--   3 room          the room hash
-- ARGV: the common ones (helpers/admission; no actor), then 1 'start' or 'stop'.
-- Reply: {'OK', changed (0/1)} or {'NO_ROOM'} (start: no room, or nobody entered it).
--- @include "helpers/recording-start"

local r = {id = roomId, rec = KEYS[1], recbox = KEYS[2]}
if arg(1) == 'start' then
  if redis.call('HGET', KEYS[3], 'a') ~= '1' then return {'NO_ROOM'} end
  return {'OK', startRecording(r, 'admin') and 1 or 0}
end
return {'OK', stopRecording(r, 'admin') and 1 or 0}
