--- @include "helpers/admission"
--- @include "helpers/metrics"

-- The room event log (docs/events-and-webhooks.md). Every script that
-- changes a room appends the change's event here, in the same atomic step:
-- no change without its event, no event without its change.
--
--   appendEvent(r, kind, user, reason, extra) -> the event's id
--     r       the room table (helpers/rules roomIn, or built from KEYS) with:
--               r.id        room id ('-' for the service pseudo room)
--               r.type      room type ('service' for service-wide events)
--               r.hash      the room hash, or nil (the service pseudo room)
--               r.seq       the room's sequence key (keys.ts roomSeqKey)
--               r.log       the event log (keys.ts eventLogKey; KEYS 'events')
--               r.logCount  its position counter (keys.ts eventCountKey; KEYS 'eventCount')
--               r.backstop  the room keys' TTL (ms)
--     kind    the event type: room_created, room_started, room_finished,
--             pusher_joined, pusher_left, audience_joined, audience_left,
--             custom_changed, admin_* (a-z and _ only)
--     user    the userID the event is about, or nil
--     reason  why (pusher_left: left|heartbeat_timeout|stream_stopped|kicked|banned|room_ended;
--             room_finished: last_left|creator_left|idle|destroyed|admin), or nil
--     extra   nil, or more fields: a list of {name, JSON text} pairs, e.g.
--             {{'field', jsonString(name)}, {'value', '5'}}, or a string of
--             JSON members ('"by":"ops","seconds":60', from TS: appendEvent-4.lua)
--   The log's bounds come from the common ARGV 12 and 13 (helpers/admission).
--
-- The log is a sorted set: member = the event as JSON text (built here; the
-- embedded store has no cjson), score = its position, handed out by INCR in
-- this same step, so the log's order is the order the changes committed in
-- and per room it is the order of seq. An event id is "<time ms>-<position>":
-- unique even if the counter were ever lost, and readers continue after an
-- id by its position. (Not a Redis stream: the embedded store's XADD/XRANGE
-- ignore the id's sequence part and have no MINID trimming.)

-- A Lua string as a JSON string (user ids, names and infos are UTF-8 already).
local JSON_ESCAPES = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function jsonString(s)
  local quoted = string.gsub(s, '[%c"\\]', function(c) return JSON_ESCAPES[c] or string.format('\\u%04x', string.byte(c)) end)
  return '"' .. quoted .. '"'
end

-- The room's next sequence number: one more than the last, which both the
-- room hash (field q, kept alive by heartbeats however long the room lasts)
-- and the sequence key (alive while the room's events may still be in the
-- log, and beyond the room's end) remember; so a room id used again continues
-- its sequence instead of starting over while its old events can be read.
-- A script appending several events to one room (a room ending with its
-- audience) reads both once, at the room's first event, and counts on in r.
local function nextSeq(r)
  if not r.lastSeq then
    r.live = r.hash ~= nil and redis.call('EXISTS', r.hash) == 1
    local last = tonumber(redis.call('GET', r.seq) or '0')
    if r.live then last = math.max(last, tonumber(redis.call('HGET', r.hash, 'q') or '0')) end
    r.lastSeq = last
  end
  r.lastSeq = r.lastSeq + 1
  -- As text: %d, since the embedded store's Lua (5.3) may hand numbers over as floats ("7.0").
  local seq = string.format('%d', r.lastSeq)
  if r.live then redis.call('HSET', r.hash, 'q', seq) end
  if r.type == 'service' then
    redis.call('SET', r.seq, seq)
  else
    redis.call('SET', r.seq, seq, 'PX', math.max(logMaxAge, r.backstop or 0))
  end
  return seq
end

-- The webhook receivers' cursors beside the log (keys.ts eventReceiversKey:
-- the log's key + ':rx', a sorted set receiver -> cursor position, kept by
-- claimWebhook / settleWebhook): the lowest is the floor, the last position
-- every receiver has. nil without receivers (WEBHOOK_URL unset).
local function receiversFloor(log)
  local lowest = redis.call('ZRANGE', log .. ':rx', 0, 0, 'WITHSCORES')[2]
  if lowest then return tonumber(lowest) end
  return nil
end

local appendEvent

-- The hard bound forces out the `cut` oldest events, which some receiver
-- has not got: an events_lost event takes the position of the last of them,
-- so every receiver that had not got them all reads it exactly where they
-- were (and one that had, never). It says how many and the first and last
-- id lost; an earlier events_lost among them is folded in (its count and
-- range), so a loss is never lost itself. The total is counted (keys.ts
-- eventsLostKey: the log's key + ':lost') and the last loss kept for the
-- admin API (+ ':lastgap'). The event belongs to the pseudo room service/log
-- (service/log.<p> per partition), whose sequence is beside the log
-- (+ ':gapseq'), so the rooms' sequences stay without gaps.
local function forceOut(log, cut)
  local members = redis.call('ZRANGE', log, 0, cut - 1, 'WITHSCORES')
  local count, regular, firstId, lastId = 0, 0, nil, nil
  for i = 1, #members, 2 do
    local member = members[i]
    local id = string.match(member, '^{"id":"([^"]+)"')
    if string.find(member, ',"type":"events_lost",', 1, true) then
      count = count + tonumber(string.match(member, ',"count":(%d+)'))
      firstId = firstId or string.match(member, ',"firstId":"([^"]+)"')
      lastId = string.match(member, ',"lastId":"([^"]+)"')
    else
      count = count + 1
      regular = regular + 1
      firstId = firstId or id
      lastId = id
    end
  end
  redis.call('ZREMRANGEBYRANK', log, 0, cut - 1)
  local qualifier = string.match(log, '{rooms%.(%d+)%.%d+}')
  local room = {id = qualifier and ('log.' .. qualifier) or 'log', type = 'service', seq = log .. ':gapseq', log = log, logCount = log .. ':n',
    position = tonumber(members[#members])}
  local fields = {{'count', string.format('%d', count)}, {'firstId', jsonString(firstId)}, {'lastId', jsonString(lastId)}}
  local id = appendEvent(room, 'events_lost', nil, 'memory_bound', fields)
  redis.call('INCRBY', log .. ':lost', regular)
  redis.call('SET', log .. ':lastgap', '{"id":' .. jsonString(id) .. ',"count":' .. string.format('%d', count) ..
    ',"firstId":' .. jsonString(firstId) .. ',"lastId":' .. jsonString(lastId) .. ',"time":' .. ARGV[2] .. '}')
end

-- Bounds the log. Events every receiver has (at or below the floor): at most
-- logMaxLen, none older than logMaxAge (by the time in its id; at most `most`
-- of those per call, so a backlog is trimmed over the next appends and by the
-- sweeper's trimEvents). Events a receiver still lacks stay past both, up to
-- logHardMax events in all: past it the oldest go in chunks of 1% of it (so
-- a flood makes one events_lost per chunk, not one per event) and forceOut
-- tells every receiver. The age is checked once per script: its appends all
-- share one `now`.
local ageChecked = false
local function trimLog(log, most)
  local floor = receiversFloor(log)
  local over = redis.call('ZCARD', log) - logMaxLen
  if over > 0 then
    if not floor then
      redis.call('ZREMRANGEBYRANK', log, 0, over - 1)
    else
      local cut = tonumber(redis.call('ZRANGE', log, over - 1, over - 1, 'WITHSCORES')[2])
      redis.call('ZREMRANGEBYSCORE', log, '-inf', math.min(cut, floor))
    end
  end
  if not ageChecked then
    ageChecked = true
    for _ = 1, most do
      local head = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
      if not head[1] or (floor and tonumber(head[2]) > floor) then break end
      local at = tonumber(string.match(head[1], '^{"id":"%d+%.(%d+)%-') or string.match(head[1], '^{"id":"(%d+)%-'))
      if not at or at >= now - logMaxAge then break end
      redis.call('ZREMRANGEBYRANK', log, 0, 0)
    end
  end
  local size = redis.call('ZCARD', log)
  if size <= logHardMax then return end
  if floor then
    redis.call('ZREMRANGEBYSCORE', log, '-inf', floor)
    size = redis.call('ZCARD', log)
    if size <= logHardMax then return end
  end
  forceOut(log, math.min(size, size - logHardMax + math.max(1, math.floor(logHardMax / 100))))
end

-- The next position in the log: one past the last handed out.
local function nextPosition(r, qualifier)
  local position = redis.call('INCR', r.logCount)
  if position == 1 then
    -- A new counter beside a non-empty log (the counter key was evicted or
    -- deleted): continue after the log's last position, never reuse one.
    local top = redis.call('ZRANGE', r.log, -1, -1, 'WITHSCORES')[2]
    if top then
      position = tonumber(top) + 1
      redis.call('SET', r.logCount, string.format('%d', position))
    end
  end
  -- Partitioned logs (ROOM_PARTITIONS > 1, tag `{rooms.<p>.<i>}`): the
  -- position follows the clock (ms x 1000, and past the last one), so the
  -- partitions' logs merge in one order by position (shared/events/log.ts),
  -- and the id names its partition: "<p>.<time ms>-<position>".
  -- ('%.0f': exact to 2^53, where the embedded store's VM has 32-bit integers only.)
  if qualifier and position < now * 1000 then
    position = math.floor(now * 1000)
    redis.call('SET', r.logCount, string.format('%.0f', position))
  end
  return position
end

function appendEvent(r, kind, user, reason, extra)
  local seq = nextSeq(r)
  local qualifier = string.match(r.log, '{rooms%.(%d+)%.%d+}')
  -- events_lost takes the position of the last event it stands for (forceOut).
  local position = r.position or nextPosition(r, qualifier)
  position = string.format('%.0f', position)
  local id = ARGV[2] .. '-' .. position
  if qualifier then id = qualifier .. '.' .. id end
  local parts = {'{"id":"', id, '","type":', jsonString(kind), ',"roomType":', jsonString(r.type),
    ',"roomID":', jsonString(r.id), ',"seq":', seq, ',"time":', ARGV[2]}
  if user then parts[#parts + 1] = ',"userID":' .. jsonString(user) end
  if reason then parts[#parts + 1] = ',"reason":' .. jsonString(reason) end
  if type(extra) == 'string' then
    if extra ~= '' then parts[#parts + 1] = ',' .. extra end
  else
    for _, field in ipairs(extra or {}) do parts[#parts + 1] = ',' .. jsonString(field[1]) .. ':' .. field[2] end
  end
  parts[#parts + 1] = '}'
  redis.call('ZADD', r.log, position, table.concat(parts))
  trimLog(r.log, 8)
  countEvent(r, kind, reason)
  return id
end
