--- Admin API, POST .../dismiss: ends the room as destroy_room does, whoever
--- created it (entered or not); its IM group goes through the outbox.
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 list         this type's room list
--   7 due          this type's deadline index
--   8 outbox       this type's effect outbox
-- ARGV: the common ones (helpers/admission; no actor).
-- Reply: {'OK', 'destroy'} or {'NO_ROOM'}.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5],
  list = KEYS[6], due = KEYS[7], outbox = KEYS[8], idle = idleTimeout, backstop = backstop}
if not redis.call('HGET', r.hash, 'c') then return {'NO_ROOM'} end
deleteRoom(r)
return {'OK', effect(r, 'destroy')}
