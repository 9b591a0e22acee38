--- @include "helpers/admission"
--- @include "helpers/events"
--- @include "helpers/recording"

-- The room rules shared by the state-changing scripts. Every helper takes the
-- room it works on as a table `r` (see roomIn):
--   r.id      room id                r.hash      room hash
--   r.pushers seats (user -> JSON)   r.beats     heartbeat deadlines (user -> ms)
--   r.custom  custom fields          r.audience  audience (user -> userInfo)
--   r.list    the type's room list   r.due       the type's deadline index
--   r.outbox  the type's effect outbox
--   r.idle, r.backstop  the type's idle timeout and key TTL (ms)
--   r.type    the room type         r.seq       the room's event sequence key
--   r.log, r.logCount  the event log and its counter (helpers/events)
-- A script fills only the keys its helpers touch, all from its KEYS.
--
-- The room hash (r.hash) holds:
--   c  creator's userID           i  roomInfo
--   t  creation time (ms)         a  '1' once a pusher entered, '0' before
--   m  the creator's mixed-stream play URL
--   s:<user>  the stream id of the user's seat
--   l:<user>  the live platform says that stream is being pushed (its sequence)
--   u:<user>  "since|deadline" of a silence kept while the stream state was unknown
--   j:<user>  when a stream-less (webrtc_room) seat was last entered (ms): a
--             TRTC callback about an earlier membership is older than this
--   q  the room's last event sequence number (helpers/events nextSeq)

-- A room of another partition, for the scripts that walk rooms found in data
-- (the room list, the deadline index, a stream's record): the same layout as
-- keys.ts roomKeys, under the partition's key prefix `base`. `p` supplies the
-- partition's own keys and timings (from KEYS, or partitionIn when the
-- partition itself was found in data).
local function partitionIn(base, idle, backstop, log, logCount)
  return {list = base .. 'list', due = base .. 'due', outbox = base .. 'outbox', idle = idle, backstop = backstop,
    log = log, logCount = logCount}
end
-- The room hash and seat deadlines alone: what the sweeper reads of every due room.
local function hashIn(base, id) return base .. 'r:' .. id end
local function beatsIn(base, id) return base .. 'b:' .. id end
local function roomIn(base, id, p)
  return {id = id, hash = hashIn(base, id), pushers = base .. 'p:' .. id, beats = beatsIn(base, id),
    custom = base .. 'c:' .. id, audience = base .. 'a:' .. id, seq = base .. 'q:' .. id,
    type = string.match(base, ':([^:]+):$'),
    list = p.list, due = p.due, outbox = p.outbox, idle = p.idle, backstop = p.backstop, log = p.log, logCount = p.logCount}
end

-- pusher_left heartbeat_timeout carries the deadline the seat missed (its
-- last beat + the timeout), when the pusher really went: the sweeper reaps later.
local function timedOut(r, user)
  local deadline = redis.call('ZSCORE', r.beats, user)
  if deadline then return {{'heartbeatDeadline', deadline}} end
  return nil
end

-- A seat counts only while its heartbeat deadline is in the future: a silent
-- pusher is gone from every read at once, before the sweeper reaps it.
local function isLiveSeat(r, user)
  local deadline = redis.call('ZSCORE', r.beats, user)
  return deadline ~= false and tonumber(deadline) > now
end

local function liveSeatCount(r)
  return redis.call('ZCOUNT', r.beats, '(' .. now, '+inf')
end

-- The deadline index holds each room's next moment of interest, or an earlier
-- one: its idle reclaim time while nobody entered it, else its earliest
-- heartbeat deadline as of the last change of seats. Heartbeats only move
-- deadlines later and leave the index alone (heartbeat-4.lua: keeping it exact
-- cost each beat a third of its Redis time), so an entry may come due before
-- anyone is overdue; the sweeper then only moves it on (reapDue-5.lua).
local function schedule(r)
  if redis.call('HGET', r.hash, 'a') == '1' then
    local first = redis.call('ZRANGE', r.beats, 0, 0, 'WITHSCORES')
    redis.call('ZADD', r.due, first[2] or now, r.id)
  else
    redis.call('ZADD', r.due, tonumber(redis.call('HGET', r.hash, 't')) + r.idle, r.id)
  end
end

-- Backstop (helpers/backstop): the room's keys live on while it is used.
local function touch(r)
  keepRoomKeys(r.hash, r.pushers, r.beats, r.custom, r.audience, ownedBase, r.backstop)
end

-- A room id is also its IM group id, and IM has one namespace: a room of
-- another type with this id would share (and could destroy) our group.
-- (A webrtc_room's id is the TRTC room id and, in webrtcroom.js with IM
-- enabled, the IM group id the client makes: the same rule holds.)
-- `others`: this id's room hash in every other type.
local function idUsedByOtherType(others)
  return redis.call('EXISTS', unpack(others)) > 0
end

-- create_room's refusal (code 11): this room exists, or another type uses the id.
local function idTaken(r, others)
  return redis.call('EXISTS', r.hash) == 1 or idUsedByOtherType(others)
end

-- The actor's open rooms other than this one: rooms that exist with them as
-- creator, plus ids they are creating right now (reserved before the IM call,
-- for one effect lease), so concurrent creations cannot make more IM groups
-- than the quota allows. ROOMS_PER_USER is checked by every script that
-- makes the actor a room's creator. `owned`: the actor's open-room set.
local function overRoomQuota(r, owned, limit)
  local count = 0
  local entries = redis.call('ZRANGE', owned, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local room, since = entries[i], tonumber(entries[i + 1])
    local creator = redis.call('HGET', room, 'c')
    if creator == actor or (not creator and since > now - lease) then
      if room ~= r.hash then count = count + 1 end
    else
      redis.call('ZREM', owned, room)
    end
  end
  return count >= tonumber(limit)
end

-- Counts this room id among the actor's open rooms while its IM group is made.
local function reserveRoom(r, owned)
  redis.call('ZADD', owned, now, r.hash)
  keepOwned(owned, r.backstop)
end

-- Someone else's room took this id: the actor's reservation of it is void.
local function dropReservation(r, owned)
  if redis.call('HGET', r.hash, 'c') ~= actor then redis.call('ZREM', owned, r.hash) end
end

-- Owned entries: score 0 for a room the user created (counted while it
-- exists with them as creator), the time of reservation for one being created.
-- `owned`: the new creator's open-room set.
local function makeCreator(r, user, owned)
  local previous = redis.call('HGET', r.hash, 'c')
  if previous and previous ~= user then redis.call('ZREM', ownedOf(previous), r.hash) end
  redis.call('HSET', r.hash, 'c', user)
  redis.call('ZADD', owned, 0, r.hash)
  keepOwned(owned, r.backstop)
end

local function deleteRoom(r)
  local creator = redis.call('HGET', r.hash, 'c')
  if creator then redis.call('ZREM', ownedOf(creator), r.hash) end
  redis.call('DEL', r.hash, r.pushers, r.beats, r.custom, r.audience)
  redis.call('ZREM', r.list, r.id)
  redis.call('ZREM', r.due, r.id)
end

-- The room ends (reason: room_finished's): whoever is still in it leaves with
-- it, each with their own event (`gone`, the pusher whose leaving ended it,
-- has had theirs), so every joined event has its left event; then it is deleted.
-- In user id order (a hash has none of its own; both stores then agree).
local function sortedKeys(hash)
  local keys = redis.call('HKEYS', hash)
  table.sort(keys)
  return keys
end
local function endRoom(r, reason, gone)
  for _, user in ipairs(sortedKeys(r.pushers)) do
    if user ~= gone then appendEvent(r, 'pusher_left', user, 'room_ended') end
  end
  for _, user in ipairs(sortedKeys(r.audience)) do appendEvent(r, 'audience_left', user, 'room_ended') end
  appendEvent(r, 'room_finished', nil, reason)
  stopRecording(r, 'room_ended')
  deleteRoom(r)
end

-- Side effects (IM notify / destroy group) are recorded in the outbox with a
-- lease in the same atomic step; the caller performs and acknowledges them, and
-- the sweeper retries any whose lease ran out (a crash between commit and IM).
local function effect(r, kind)
  redis.call('ZADD', r.outbox, now + lease, kind .. '|' .. r.id)
  return kind
end

-- Written before the IM group of a missing room is created: the group goes
-- unless the room comes to exist (the creating scripts remove this entry). So
-- a create_group that timed out yet succeeded, a refusal or a Redis outage
-- after it, or a crash in between never leaves a group without a room. When
-- its lease runs out the sweeper turns it into a destroy.
local function expectGroup(r)
  redis.call('ZADD', r.outbox, now + lease, 'expect|' .. r.id)
end

-- IM calls are not ordered: a destroy_group in flight can land after a
-- create_group of the same id (which answers "exists") and leave the new room
-- without a group. So while a destroy of this id's group is recorded and its
-- lease runs (someone is performing it), the id cannot be created again: the
-- caller waits for the destroyer's acknowledgement (status BUSY). A destroy
-- whose lease ran out was abandoned by its performer: it is dropped, and the
-- new room keeps the group. Checked in every type's outbox (one IM
-- namespace): `outboxes` lists every type's.
local function destroyPending(r, outboxes)
  for _, box in ipairs(outboxes) do
    local leased = redis.call('ZSCORE', box, 'destroy|' .. r.id)
    if leased then
      if tonumber(leased) > now then return true end
      redis.call('ZREM', box, 'destroy|' .. r.id)
    end
  end
  return false
end

-- A room of this id now exists: no creator's group is an orphan any more.
-- Creating the room removes every type's expect entry, which is how a
-- creator learns (groupDoubtful) that another room took the id meanwhile.
local function groupExpected(r, outboxes)
  for _, box in ipairs(outboxes) do redis.call('ZREM', box, 'expect|' .. r.id) end
end

-- Whether the group the caller made (or found: "exists") may be gone by now:
-- a destroy is in flight, or another room took the id and ended since the
-- caller's expectGroup (it removed the entry), its destroy maybe landed after
-- the caller's create_group. The caller then makes the group again (BUSY).
local function groupDoubtful(r, outboxes)
  return destroyPending(r, outboxes) or not redis.call('ZSCORE', r.outbox, 'expect|' .. r.id)
end

-- Creates the (inactive) room with the actor as creator, once its group is
-- trustworthy; else answers BUSY with the group's cleanup recorded again.
local function newRoom(r, owned, outboxes, roomInfo)
  if groupDoubtful(r, outboxes) then
    expectGroup(r)
    return 'BUSY'
  end
  redis.call('HSET', r.hash, 'i', roomInfo, 't', now, 'a', '0')
  makeCreator(r, actor, owned)
  groupExpected(r, outboxes)
  appendEvent(r, 'room_created', actor, nil, {{'roomInfo', jsonString(roomInfo)}})
  return nil
end

-- The one owner of "who leaves and what follows" (delete_pusher, stream
-- stopped, reaping, an admin's kick). `reason`: pusher_left's
-- (left|heartbeat_timeout|stream_stopped|kicked).
local function removeSeat(r, user, creatorEndsRoom, reason)
  local creator = redis.call('HGET', r.hash, 'c')
  appendEvent(r, 'pusher_left', user, reason, reason == 'heartbeat_timeout' and timedOut(r, user) or nil)
  if creatorEndsRoom == '1' and user == creator then
    endRoom(r, 'creator_left', user)
    return effect(r, 'destroy')
  end
  redis.call('HDEL', r.pushers, user)
  redis.call('ZREM', r.beats, user)
  redis.call('HDEL', r.hash, 's:' .. user, 'l:' .. user, 'u:' .. user, 'j:' .. user)
  if redis.call('HLEN', r.pushers) == 0 then
    endRoom(r, 'last_left', user)
    return effect(r, 'destroy')
  end
  return 'notify'
end

-- One seat leaves now (delete_pusher, a stopped stream, a kick): the others are told.
local function leave(r, user, creatorEndsRoom, reason)
  local outcome = removeSeat(r, user, creatorEndsRoom, reason)
  if outcome == 'notify' then
    schedule(r)
    touch(r)
    effect(r, 'notify')
  end
  return outcome
end

