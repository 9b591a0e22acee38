--- add_audience / delete_audience.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 events       the event log (helpers/events)
--   10 eventCount  the event log's position counter
--   11 seq         the room's event sequence key
--   12 serviceBan   the caller's service-wide ban (helpers/bans)
--   13 roomBan      the caller's ban from this room
-- ARGV: the common ones (helpers/admission), then 1 op add/remove, 2 userInfo,
--   3 audience cap, 4 '1': keep a stored userInfo.
-- Reply: {'OK'} or {refusal}: BANNED (add), NO_ROOM, AUD_FULL.
--- @include "helpers/rules"
--- @include "helpers/bans"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8], backstop = backstop,
  type = roomType, log = KEYS[9], logCount = KEYS[10], seq = KEYS[11]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if arg(1) == 'add' then
  local banned = banRefusal(KEYS[12], KEYS[13])
  if banned then return banned end
end
if redis.call('HGET', r.hash, 'a') ~= '1' then return {'NO_ROOM'} end
if arg(1) == 'remove' then
  if redis.call('HDEL', r.audience, actor) == 1 then appendEvent(r, 'audience_left', actor, 'left') end
  return {'OK'}
end
local member = redis.call('HEXISTS', r.audience, actor) == 1
if not member and redis.call('HLEN', r.audience) >= tonumber(arg(3)) then
  return {'AUD_FULL'}
end
if arg(4) ~= '1' or not member then redis.call('HSET', r.audience, actor, arg(2)) end
-- A member updating its userInfo did not join again.
if not member then appendEvent(r, 'audience_joined', actor) end
touch(r)
return {'OK'}
