--- Admin API, GET /admin/rooms/{roomType}/{roomID}: everything about one
--- room, read in one step (one script), so the parts agree with each other.
--- A room created but never entered is answered too (entered = '0').
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 outbox       this type's effect outbox
--   7 seq          the room's event sequence key
-- ARGV: the common ones (helpers/admission; no actor).
-- Reply: {'OK', roomInfo, creator, createdAt, entered ('1'/'0'), seats (flat
--   userID, seat JSON, heartbeat deadline, pushing ('1'/'0')), custom (flat),
--   audience count, IM group state (active, destroying), notice pending (0/1),
--   the room's last event sequence number}
--   or {'NO_ROOM'}.
--- @include "helpers/rules"
--- @include "helpers/lastseq"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5], outbox = KEYS[6], seq = KEYS[7]}
local room = redis.call('HMGET', r.hash, 'i', 'c', 't', 'a')
if not room[2] then return {'NO_ROOM'} end
local seats = {}
local flat = redis.call('HGETALL', r.pushers)
for i = 1, #flat, 2 do
  local user = flat[i]
  local pushing = '0'
  if redis.call('HEXISTS', r.hash, 'l:' .. user) == 1 then pushing = '1' end
  seats[#seats + 1] = user
  seats[#seats + 1] = flat[i + 1]
  seats[#seats + 1] = redis.call('ZSCORE', r.beats, user) or '0'
  seats[#seats + 1] = pushing
end
-- The room exists, so its IM group was made; a destroy recorded for this id
-- (the room ended and came back before the destroy was acknowledged) is in flight.
local group = 'active'
if redis.call('ZSCORE', r.outbox, 'destroy|' .. r.id) then group = 'destroying' end
local notice = 0
if redis.call('ZSCORE', r.outbox, 'notify|' .. r.id) then notice = 1 end
return {'OK', room[1] or '', room[2], room[3] or '0', room[4] or '0', seats, redis.call('HGETALL', r.custom),
  redis.call('HLEN', r.audience), group, notice, lastSeq(r)}
