--- merge_stream: the room's creator and its live seats.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
-- ARGV: the common ones (helpers/admission).
-- Reply: {'OK', creator, {userID...}, {seat JSON...}} or {refusal}: NO_ROOM.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if redis.call('HGET', r.hash, 'a') ~= '1' or liveSeatCount(r) == 0 then return {'NO_ROOM'} end
local live = redis.call('ZRANGEBYSCORE', r.beats, '(' .. now, '+inf')
return {'OK', redis.call('HGET', r.hash, 'c'), live, redis.call('HMGET', r.pushers, unpack(live))}
