--- A TRTC room callback (webrtc_room); no session: the caller checked the
--- callback's Sign. 103 (entered) marks the member present (or, for a user
--- banned there or holding no seat the service admitted, removes them from
--- the TRTC room again: a PrivateMapKey stays valid after a kick), 104 (left)
--- removes the member exactly as quit_room does, 102 (dismissed) ends the
--- room. Deliveries are retried for a minute, so each user's (and the
--- room's own) last applied event time is kept in an order record that
--- outlives the room: a duplicate or an older event is answered, not applied.
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 list         this type's room list
--   7 due          this type's deadline index
--   8 outbox       this type's effect outbox
--   9 trtcOrder    the room's callback order record: subject -> "ms|event type"
--   10 events      the event log (helpers/events)
--   11 eventCount  the event log's position counter
--   12 seq         the room's event sequence key
--   13 userServiceBan  the user's service-wide ban (helpers/bans)
--   14 userRoomBan     the user's ban from this room
-- ARGV: the common ones (helpers/admission; no actor), then 1 event type
--   ('102', '103', '104'), 2 userID ('' for 102), 3 event time (ms),
--   4 creator ends room ('1'/'0'), 5 order record TTL (ms).
-- Reply: {'OK', outcome, effect}; outcome 'duplicate', 'stale' (older than
--   what was applied, or than the room or seat it would act on), 'recorded'
--   (no room or seat it concerns), 'present', 'removed' (effect 'notify' or
--   'destroy') or 'ended'; or {'OK', 'refused', 'remove', why} for a 103 of a
--   user who is banned ('banned') or holds no seat ('no_seat'): a
--   'remove|roomID|userID' effect is in the outbox (the TRTC removal).
--- @include "helpers/rules"
--- @include "helpers/evict"
--- @include "helpers/bans"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5],
  list = KEYS[6], due = KEYS[7], outbox = KEYS[8], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[10], logCount = KEYS[11], seq = KEYS[12]}
local order, kind, user, at = KEYS[9], arg(1), arg(2), tonumber(arg(3))
-- Room events are ordered on their own subject, user events per user.
local subject = kind == '102' and '-' or 'u:' .. user
local last = redis.call('HGET', order, subject)
if last then
  local lastAt, lastKind = string.match(last, '^(%d+)|(%d+)$')
  lastAt = tonumber(lastAt)
  if at == lastAt and kind == lastKind then return {'OK', 'duplicate', ''} end
  -- At the same moment an exit wins over an entry: leaving is the later state.
  if at < lastAt or (at == lastAt and lastKind == '104') then return {'OK', 'stale', ''} end
end
-- arg(3) as sent, not `at`: concatenating a number would write a float's text on some Lua runtimes (the embedded store's).
redis.call('HSET', order, subject, arg(3) .. '|' .. kind)
redis.call('PEXPIRE', order, tonumber(arg(5)))
-- In the TRTC room without the service's admission: take them out again.
local function refuse(why)
  return {'OK', 'refused', effect({id = r.id .. '|' .. user, outbox = r.outbox}, 'remove'), why}
end
local banned = kind == '103' and banRefusal(KEYS[13], KEYS[14])
if redis.call('EXISTS', r.hash) == 0 then
  if kind == '103' then return refuse(banned and 'banned' or 'no_seat') end
  return {'OK', 'recorded', ''}
end
-- An event from before this room was created concerns an earlier room of this id.
if at < tonumber(redis.call('HGET', r.hash, 't')) then return {'OK', 'stale', ''} end
if kind == '102' then
  -- TRTC ended it already: nothing to dismiss, nobody to tell. (room_finished
  -- 'destroyed': the room was ended on purpose, here by TRTC, not by leaving.)
  endRoom(r, 'destroyed')
  return {'OK', 'ended', ''}
end
if redis.call('HEXISTS', r.pushers, user) == 0 then
  if kind == '103' then return refuse(banned and 'banned' or 'no_seat') end
  return {'OK', 'recorded', ''}
end
-- An event from before the seat was (re)entered concerns an earlier membership.
local entered = redis.call('HGET', r.hash, 'j:' .. user)
if entered and at < tonumber(entered) then return {'OK', 'stale', ''} end
if banned then
  -- Still seated though banned (a ban removes held seats; this one raced it):
  -- the seat goes as a ban's does, and the member leaves the TRTC room.
  local outcome = evict(r, user, arg(4), 'banned', '1')
  if outcome == 'destroy' then return {'OK', 'removed', outcome} end
  return {'OK', 'refused', outcome, 'banned'}
end
if kind == '103' then
  -- Present in TRTC: the sweeper keeps the seat through missed heartbeats
  -- (reapDue keepSilent, within the room's seats) until a 104 removes it.
  redis.call('HSET', r.hash, 'l:' .. user, 'trtc')
  -- Entering is a sign of life for a live seat: its deadline moves forward.
  -- A seat already past its deadline is left to the sweeper, whose keepSilent
  -- keeps it (l: is set) only while the room stays within its seats.
  if isLiveSeat(r, user) then redis.call('ZADD', r.beats, now + hbTimeout, user) end
  schedule(r)
  touch(r)
  return {'OK', 'present', ''}
end
-- The member left the TRTC room: pusher_left 'left', as by quit_room.
return {'OK', 'removed', leave(r, user, arg(4), 'left')}
