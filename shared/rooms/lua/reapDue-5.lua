--- Sweeper: reaps rooms whose deadline passed and claims outbox effects whose
--- lease ran out. The due rooms are found in the deadline index, so their
--- keys come from the type's key prefix.
-- KEYS
--   1 list         this type's room list
--   2 due          this type's deadline index
--   3 outbox       this type's effect outbox
--   4 events       the event log (helpers/events)
--   5 eventCount   the event log's position counter
-- ARGV: the common ones (helpers/admission; no actor), then 1 batch size,
--   2 this type's key prefix, 3 creator ends room ('1'/'0'), 4 the stream state
--   API's verdicts on overdue seats (comma list of "room|user=live" or
--   "room|user=unknown"), 5 key prefixes of all room types (comma list),
--   6 seats per room, 7 longest silence kept on 'unknown' (ms), 8 '1' when an
--   evicted member must also be removed from the media room (webrtc_room:
--   a 'remove|roomID|userID' effect, performed with the TRTC API), 9 longest
--   silence kept for a member TRTC reported present (ms; its 104 may be lost).
-- Reply: {'OK', effects (kind|roomID, or remove|roomID|userID ...), more due (0/1)}.
--- @include "helpers/rules"

local batch, base, creatorEnds = tonumber(arg(1)), arg(2), arg(3)
local maxSeats, maxUnknown, removeEvicted, maxPresent = tonumber(arg(6)), tonumber(arg(7)), arg(8) == '1', tonumber(arg(9))
local partition = {list = KEYS[1], due = KEYS[2], outbox = KEYS[3], idle = idleTimeout, backstop = backstop,
  log = KEYS[4], logCount = KEYS[5]}
local verdicts = {}
for item in string.gmatch(arg(4) or '', '[^,]+') do
  local seat, verdict = string.match(item, '^(.*)=(%a+)$')
  if seat then verdicts[seat] = verdict end
end
-- A silent seat is kept while its stream is known to be up (a push callback,
-- or the stream state API), or while that API fails, for at most maxUnknown
-- from the first such answer; a webrtc_room member TRTC reported present
-- (l: 'trtc', trtcEvent) for at most maxPresent, so a 104 lost after all of
-- TRTC's retries cannot seat a ghost forever; and only while the room stays
-- within its seats: a seat someone else took meanwhile is never handed back.
local function keepSilent(r, user)
  local why = verdicts[r.id .. '|' .. user]
  local mark = redis.call('HGET', r.hash, 'l:' .. user)
  if mark then why = mark == 'trtc' and 'present' or 'live' end
  if not why or liveSeatCount(r) >= maxSeats then return false end
  local deadline = now + hbTimeout
  if why == 'unknown' or why == 'present' then
    local since = now
    local mark = redis.call('HGET', r.hash, 'u:' .. user)
    if mark then
      local first, setDeadline = string.match(mark, '^([^|]+)|(.+)$')
      -- The same silence: no heartbeat moved the deadline the last keep set.
      if tonumber(setDeadline) == tonumber(redis.call('ZSCORE', r.beats, user)) then since = tonumber(first) end
    end
    if now - since >= (why == 'present' and maxPresent or maxUnknown) then return false end
    redis.call('HSET', r.hash, 'u:' .. user, since .. '|' .. deadline)
  else
    redis.call('HDEL', r.hash, 'u:' .. user)
  end
  redis.call('ZADD', r.beats, deadline, user)
  return true
end
-- A group may only be destroyed while no room of any type uses its id.
local function groupInUse(id)
  for typeBase in string.gmatch(arg(5), '[^,]+') do
    if redis.call('EXISTS', roomIn(typeBase, id, partition).hash) == 1 then return true end
  end
  return false
end
local effects = {}
-- Evicts the room's overdue seats (each kept while keepSilent says so), then
-- ends the room when nobody is left, else schedules it again.
local function reapSeats(r, id)
  local outcome = nil
  local evicted = {}
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', r.beats, '-inf', now)) do
    if not keepSilent(r, user) then
      outcome = removeSeat(r, user, creatorEnds, 'heartbeat_timeout')
      if outcome == 'destroy' then break end
      evicted[#evicted + 1] = user
    end
  end
  -- Dismissing the room removes everyone; otherwise each evicted member goes.
  if removeEvicted and outcome ~= 'destroy' then
    for _, user in ipairs(evicted) do
      effects[#effects + 1] = effect({id = id .. '|' .. user, outbox = partition.outbox}, 'remove') .. '|' .. id .. '|' .. user
    end
  end
  if outcome == 'destroy' then
    effects[#effects + 1] = 'destroy|' .. id
  else
    if redis.call('HLEN', r.pushers) == 0 then
      endRoom(r, 'last_left')
      effects[#effects + 1] = effect(r, 'destroy') .. '|' .. id
    else
      schedule(r)
      touch(r)
      if outcome == 'notify' then effects[#effects + 1] = effect(r, 'notify') .. '|' .. id end
    end
  end
end
local due = redis.call('ZRANGEBYSCORE', partition.due, '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(due) do
  -- Heartbeats move deadlines on without telling the index (helpers/rules
  -- schedule): when nobody is overdue in an entered room its entry only moves
  -- on, to the earliest deadline (three commands, no more: every used room
  -- comes here about once per heartbeat timeout).
  local first = redis.call('HGET', hashIn(base, id), 'a') == '1' and redis.call('ZRANGE', beatsIn(base, id), 0, 0, 'WITHSCORES')[2]
  if first and tonumber(first) > now then
    redis.call('ZADD', partition.due, first, id)
  else
    local r = roomIn(base, id, partition)
    if redis.call('EXISTS', r.hash) == 0 then
      -- The keys expired by TTL (nothing reaped the room in time): its group is still there.
      redis.call('ZREM', partition.due, id)
      redis.call('ZREM', partition.list, id)
      -- Its members' own events cannot be told any more (their keys are gone).
      appendEvent(r, 'room_finished', nil, 'idle', {{'expired', 'true'}})
      stopRecording(r, 'room_ended')
      if not groupInUse(id) then effects[#effects + 1] = effect(r, 'destroy') .. '|' .. id end
    elseif redis.call('HGET', r.hash, 'a') ~= '1' then
      -- Created, never entered, idle deadline passed (schedule() put it here).
      endRoom(r, 'idle')
      effects[#effects + 1] = effect(r, 'destroy') .. '|' .. id
    else
      reapSeats(r, id)
    end
  end
end
-- Effects whose lease ran out: a request or sweeper died before acknowledging.
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', partition.outbox, '-inf', now, 'LIMIT', 0, batch)) do
  local kind, id = string.match(entry, '^([^|]+)|(.*)$')
  if kind == 'remove' then
    -- remove|roomID|userID: removing one member never harms a new room.
    redis.call('ZADD', partition.outbox, now + lease, entry)
    effects[#effects + 1] = entry
  elseif kind ~= 'notify' and groupInUse(id) then
    -- The room id was taken again; destroying its group now would break the new room.
    redis.call('ZREM', partition.outbox, entry)
  elseif kind == 'expect' then
    -- A creator made (or may have made) the group and no room came of it.
    redis.call('ZREM', partition.outbox, entry)
    effects[#effects + 1] = effect({id = id, outbox = partition.outbox}, 'destroy') .. '|' .. id
  else
    redis.call('ZADD', partition.outbox, now + lease, entry)
    effects[#effects + 1] = entry
  end
end
local more = redis.call('ZCOUNT', partition.due, '-inf', now) > 0 and 1 or 0
return {'OK', effects, more}
