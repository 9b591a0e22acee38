--- Admin API, POST .../dismiss: ends the room as destroy_room does, whoever
--- created it (entered or not); its IM group goes through the outbox.
--- Events: admin_dismiss, then whoever is in it leaves (room_ended) and
--- room_finished (reason admin).
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 list         this type's room list
--   7 due          this type's deadline index
--   8 outbox       this type's effect outbox
--   9 events      the event log (helpers/events)
--   10 eventCount  the event log's position counter
--   11 seq         the room's event sequence key
-- ARGV: the common ones (helpers/admission; no actor).
-- Reply: {'OK', 'destroy'} or {'NO_ROOM'}.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5],
  list = KEYS[6], due = KEYS[7], outbox = KEYS[8], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[9], logCount = KEYS[10], seq = KEYS[11]}
if not redis.call('HGET', r.hash, 'c') then return {'NO_ROOM'} end
appendEvent(r, 'admin_dismiss')
endRoom(r, 'admin')
return {'OK', effect(r, 'destroy')}
