--- create_room after its IM group exists: the (inactive) room, with the caller as creator.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 due          this type's deadline index
--   10 outbox      this type's effect outbox
--   11 otherRoom1  this id's room hash in the other types (otherRoom3 below)
--   12 otherRoom2
--   13 otherOutbox1 the other types' outboxes (otherOutbox3 below)
--   14 otherOutbox2
--   15 owned       the caller's open-room set
--   16 events      the event log (helpers/events)
--   17 eventCount  the event log's position counter
--   18 seq         the room's event sequence key
--   19 serviceBan   the caller's service-wide ban (helpers/bans)
--   20 roomBan      the caller's ban from this room
--   21 otherRoom3
--   22 otherOutbox3
-- ARGV: the common ones (helpers/admission), then 1 roomInfo, 2 rooms per user.
-- Reply: {'OK'} or {refusal}: BANNED, EXISTS, ROOM_QUOTA, BUSY.
--- @include "helpers/rules"
--- @include "helpers/bans"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8],
  due = KEYS[9], outbox = KEYS[10], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[16], logCount = KEYS[17], seq = KEYS[18]}
local others, owned, outboxes = {KEYS[11], KEYS[12], KEYS[21]}, KEYS[15], {KEYS[10], KEYS[13], KEYS[14], KEYS[22]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local banned = banRefusal(KEYS[19], KEYS[20])
if banned then return banned end
if idTaken(r, others) then
  dropReservation(r, owned)
  return {'EXISTS'}
end
if overRoomQuota(r, owned, arg(2)) then return {'ROOM_QUOTA'} end
local busy = newRoom(r, owned, outboxes, arg(1))
if busy then return {busy} end
schedule(r)
touch(r)
return {'OK'}
