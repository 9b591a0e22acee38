--- destroy_room: only the creator ends the room.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 list         this type's room list
--   10 due         this type's deadline index
--   11 outbox      this type's effect outbox
--   12 events      the event log (helpers/events)
--   13 eventCount  the event log's position counter
--   14 seq         the room's event sequence key
-- ARGV: the common ones (helpers/admission), then 1 room_finished's reason:
--   'destroyed' (destroy_room) or 'admin'.
-- Reply: {'OK', 'destroy'} or {refusal}: NO_ROOM, NOT_CREATOR.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8],
  list = KEYS[9], due = KEYS[10], outbox = KEYS[11], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[12], logCount = KEYS[13], seq = KEYS[14]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local creator = redis.call('HGET', r.hash, 'c')
if not creator then return {'NO_ROOM'} end
if creator ~= actor then return {'NOT_CREATOR'} end
endRoom(r, arg(1))
return {'OK', effect(r, 'destroy')}
