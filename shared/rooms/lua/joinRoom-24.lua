--- add_pusher: seats the caller (or updates its seat). A missing room answers
--- NO_ROOM (after recording the group's cleanup and reserving the id) unless
--- arg(3) says the IM group exists and the room may be created here.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 list         this type's room list
--   10 due         this type's deadline index
--   11 outbox      this type's effect outbox
--   12 otherRoom1  this id's room hash in the other types (otherRoom3 below)
--   13 otherRoom2
--   14 otherOutbox1 the other types' outboxes (otherOutbox3 below)
--   15 otherOutbox2
--   16 owned       the caller's open-room set
--   17 stream      the record of the seat's stream (keys.ts streamKey; unused without a stream)
--   18 events      the event log (helpers/events)
--   19 eventCount  the event log's position counter
--   20 seq         the room's event sequence key
--   21 serviceBan   the caller's service-wide ban (helpers/bans)
--   22 roomBan      the caller's ban from this room
--   23 otherRoom3
--   24 otherOutbox3
-- ARGV: the common ones (helpers/admission), then 1 seat JSON, 2 max seats,
--   3 create when missing ('1' only after the IM group exists), 4 roomInfo,
--   5 the caller's mixed-stream play URL (kept if the caller is creator),
--   6 rooms per user (a caller creating the room must be under it),
--   7 stream id ('' for a webrtc_room member: no stream record), 8 stream record TTL (ms), 9 this type's key prefix (kept in
--   the stream record, so a callback finds the seat's room type), 10 userName,
--   11 userAvatar (for pusher_joined), 12 '1' when this type records from
--   its start (RECORD_ROOM_TYPES; helpers/recording).
-- Reply: {'OK', created (0/1), effect ('notify' or ''), the caller is the
--   room's creator (0/1), recording work became due (0/1)} or {refusal}: BANNED, NO_ROOM,
--   EXISTS, ROOM_QUOTA, BUSY, FULL.
--- @include "helpers/rules"
--- @include "helpers/bans"
--- @include "helpers/recording-start"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8],
  list = KEYS[9], due = KEYS[10], outbox = KEYS[11], idle = idleTimeout, backstop = backstop,
  type = roomType, log = KEYS[18], logCount = KEYS[19], seq = KEYS[20]}
local others, outboxes, owned, streamKey = {KEYS[12], KEYS[13], KEYS[23]}, {KEYS[11], KEYS[14], KEYS[15], KEYS[24]}, KEYS[16], KEYS[17]
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local banned = banRefusal(KEYS[21], KEYS[22])
if banned then return banned end
local created, recording = 0, 0
if redis.call('EXISTS', r.hash) == 0 then
  if idUsedByOtherType(others) then return {'EXISTS'} end
  if overRoomQuota(r, owned, arg(6)) then return {'ROOM_QUOTA'} end
  if arg(3) ~= '1' then
    if destroyPending(r, outboxes) then return {'BUSY'} end
    expectGroup(r) -- the caller creates the IM group next
    reserveRoom(r, owned)
    return {'NO_ROOM'}
  end
  local busy = newRoom(r, owned, outboxes, arg(4))
  if busy then return {busy} end
  created = 1
else
  dropReservation(r, owned)
end
local seated = isLiveSeat(r, actor)
if not seated and liveSeatCount(r) >= tonumber(arg(2)) then return {'FULL'} end
-- A seat that timed out but was not reaped yet ends here (reads stopped showing it).
if not seated and redis.call('HEXISTS', r.pushers, actor) == 1 then appendEvent(r, 'pusher_left', actor, 'heartbeat_timeout', timedOut(r, actor)) end
-- Creator rights belong to someone who entered: a room created under an id
-- but never entered by its creator goes to its first pusher (no squatting).
if redis.call('HGET', r.hash, 'a') ~= '1' and redis.call('HGET', r.hash, 'c') ~= actor then makeCreator(r, actor, owned) end
redis.call('HSET', r.pushers, actor, arg(1))
redis.call('ZADD', r.beats, now + hbTimeout, actor)
if redis.call('HGET', r.hash, 'c') == actor then redis.call('HSET', r.hash, 'm', arg(5)) end
-- The stream's record leads push/stop callbacks to this seat; a push that
-- began before the seat was taken counts as live at once.
local streamId = arg(7)
if redis.call('HGET', r.hash, 's:' .. actor) ~= streamId then
  redis.call('HSET', r.hash, 's:' .. actor, streamId)
  redis.call('HDEL', r.hash, 'l:' .. actor, 'u:' .. actor)
end
-- A TRTC member has no stream: its presence comes from the TRTC room
-- callbacks (trtcEvent) instead, which keep l:<user> the same way.
if streamId == '' then
  redis.call('HSET', r.hash, 'j:' .. actor, now)
else
  redis.call('HSET', streamKey, 'base', arg(9), 'room', roomId, 'user', actor)
  redis.call('PEXPIRE', streamKey, tonumber(arg(8)))
  local pushing = redis.call('HGET', streamKey, 'live')
  if pushing then redis.call('HSET', r.hash, 'l:' .. actor, pushing) end
end
if redis.call('HGET', r.hash, 'a') ~= '1' then
  redis.call('HSET', r.hash, 'a', '1')
  redis.call('ZADD', r.list, tonumber(redis.call('HGET', r.hash, 't')), roomId)
  appendEvent(r, 'room_started', actor, nil, {{'creator', jsonString(redis.call('HGET', r.hash, 'c'))}})
  if arg(12) == '1' and startRecording(r, 'auto') then recording = 1 end
end
-- Updating one's live seat (name, avatar, stream) is not joining again.
if not seated then appendEvent(r, 'pusher_joined', actor, nil, {{'userName', jsonString(arg(10))}, {'userAvatar', jsonString(arg(11))}, {'streamID', jsonString(streamId)}}) end
-- A recorded stream room records each pusher's stream (the TRTC recorder sees every member by itself).
if not seated and streamId ~= '' and recording == 0 and recordJoiner(r) then recording = 1 end
schedule(r)
touch(r)
local isCreator = redis.call('HGET', r.hash, 'c') == actor and 1 or 0
-- The first pusher of a new room has nobody to tell.
if created == 1 then return {'OK', created, '', isCreator, recording} end
return {'OK', created, effect(r, 'notify'), isCreator, recording}
