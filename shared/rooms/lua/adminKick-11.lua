--- Admin API, POST .../kick: removes a pusher exactly as delete_pusher would
--- (helpers/rules leave: the others are told, an emptied room ends, a room
--- that ends with its creator ends), without a session. Events: admin_kick,
--- then pusher_left (reason kicked) and what follows from it.
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 list         this type's room list
--   7 due          this type's deadline index
--   8 outbox       this type's effect outbox
--   9 events      the event log (helpers/events)
--   10 eventCount  the event log's position counter
--   11 seq         the room's event sequence key
-- ARGV: the common ones (helpers/admission; no actor), then 1 the pusher's
--   userID, 2 creator ends room ('1'/'0'), 3 '1' when the member must also
--   be removed from the media room (webrtc_room: a 'remove|roomID|userID'
--   effect, performed with the TRTC API, instead of the notice).
-- Reply: {'OK', 'notify' | 'destroy' | 'remove'} or {refusal}: NO_ROOM, NOT_MEMBER.
--- @include "helpers/rules"
--- @include "helpers/evict"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5],
  list = KEYS[6], due = KEYS[7], outbox = KEYS[8], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[9], logCount = KEYS[10], seq = KEYS[11]}
if redis.call('EXISTS', r.hash) == 0 then return {'NO_ROOM'} end
if redis.call('HEXISTS', r.pushers, arg(1)) == 0 then return {'NOT_MEMBER'} end
appendEvent(r, 'admin_kick', arg(1))
-- webrtc_room: the kicked member is still in the TRTC room: evict removes it.
return {'OK', evict(r, arg(1), arg(2), 'kicked', arg(3))}
