--- get_audiences.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash
--   5 audience     audience: userID -> userInfo
-- ARGV: the common ones (helpers/admission).
-- Reply: {'OK', {userID, userInfo, ...}} or {refusal}: NO_ROOM.
--- @include "helpers/admission"

local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if redis.call('HGET', KEYS[4], 'a') ~= '1' then return {'NO_ROOM'} end
return {'OK', redis.call('HGETALL', KEYS[5])}
