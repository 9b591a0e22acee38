--- An event appended on its own, not as part of a room script: the admin
--- plane's actions (admin_kick, admin_ban, ...) on a room, in that room's
--- sequence, and service-wide ones (roomType 'service', roomID '-').
--- shared/events/log.ts appendEvent is the caller; it checks the arguments.
-- KEYS
--   1 events       the event log (helpers/events)
--   2 eventCount   the event log's position counter
--   3 room         the room hash (keys.ts roomKeys; for 'service' a key that never exists)
--   4 seq          the room's event sequence key (keys.ts roomSeqKey)
-- ARGV: the common ones (helpers/admission; 3 roomID, 11 room type or
--   'service', 6 the room's key TTL), then 1 event type, 2 userID ('' none),
--   3 reason ('' none), 4 more fields as JSON object members ('' none).
-- Reply: {'OK', event id}.
--- @include "helpers/events"

local r = {id = roomId, type = roomType, hash = KEYS[3], seq = KEYS[4], log = KEYS[1], logCount = KEYS[2], backstop = backstop}
local function given(v) if v == '' then return nil end return v end
return {'OK', appendEvent(r, arg(1), given(arg(2)), given(arg(3)), arg(4))}
