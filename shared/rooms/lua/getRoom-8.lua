--- get_pushers / get_custom_info. A room created but never entered, or whose
--- seats all timed out, reads as missing.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
-- ARGV: the common ones (helpers/admission), then 1 include the audience count ('1'/'0').
-- Reply: helpers/detail roomDetail, or {refusal}: NO_ROOM.
--- @include "helpers/rules"
--- @include "helpers/detail"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if redis.call('HGET', r.hash, 'a') ~= '1' or liveSeatCount(r) == 0 then return {'NO_ROOM'} end
return roomDetail(r, arg(1))
