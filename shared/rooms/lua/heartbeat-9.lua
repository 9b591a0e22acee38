--- pusher_heartbeat, the hot path, kept lean: only the admission checks, not the full rule set.
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
-- ARGV: the common ones (helpers/admission).
-- Reply: {'OK'} or {refusal}: NOT_MEMBER.
--- @include "helpers/admission"

local room, beats = KEYS[4], KEYS[6]
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local deadline = redis.call('ZSCORE', beats, actor)
if not deadline or tonumber(deadline) <= now then return {'NOT_MEMBER'} end
redis.call('ZADD', beats, now + hbTimeout, actor)
-- A live seat implies an entered room, whose next deadline is its earliest heartbeat.
local first = redis.call('ZRANGE', beats, 0, 0, 'WITHSCORES')
redis.call('ZADD', KEYS[9], first[2], roomId)
-- Refreshing five key TTLs was most of a beat's cost; doing it once half the
-- backstop has run keeps the same bound on how long a dead room's keys live.
if redis.call('PTTL', room) < backstop / 2 then
  -- KEYS 4-8: room, pushers, beats, custom, audience.
  for i = 4, 8 do redis.call('PEXPIRE', KEYS[i], backstop) end
  local creator = redis.call('HGET', room, 'c')
  if creator then keepOwned(ownedOf(creator), backstop) end
end
return {'OK'}
