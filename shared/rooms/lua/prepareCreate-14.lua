--- create_room before its IM call: session, quota (counted here, once per
--- request), a taken id, the caller's open rooms and a destroy in flight are
--- settled first, so a refused caller makes no IM group; then the group's
--- cleanup is recorded (see expectGroup) and the id reserved for the caller.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash
--   5 otherRoom1   this id's room hash in the other types (otherRoom3 below)
--   6 otherRoom2
--   7 owned        the caller's open-room set
--   8 outbox       this type's effect outbox
--   9 otherOutbox1 the other types' outboxes (otherOutbox3 below)
--   10 otherOutbox2
--   11 serviceBan   the caller's service-wide ban (helpers/bans)
--   12 roomBan      the caller's ban from this room
--   13 otherRoom3
--   14 otherOutbox3
-- ARGV: the common ones (helpers/admission), then 1 rooms per user.
-- Reply: {'OK'} or {refusal}: BANNED, EXISTS, ROOM_QUOTA, BUSY.
--- @include "helpers/rules"
--- @include "helpers/bans"

local r = {id = roomId, hash = KEYS[4], outbox = KEYS[8], backstop = backstop}
local others, owned, outboxes = {KEYS[5], KEYS[6], KEYS[13]}, KEYS[7], {KEYS[8], KEYS[9], KEYS[10], KEYS[14]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local banned = banRefusal(KEYS[11], KEYS[12])
if banned then return banned end
if idTaken(r, others) then return {'EXISTS'} end
if overRoomQuota(r, owned, arg(1)) then return {'ROOM_QUOTA'} end
if destroyPending(r, outboxes) then return {'BUSY'} end
expectGroup(r)
reserveRoom(r, owned)
return {'OK'}
