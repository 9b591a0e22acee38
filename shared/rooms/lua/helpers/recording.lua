--- @include "helpers/admission"

-- Cloud recording of a room (docs/recording.md). What the room wants lives
-- beside its keys, in its slot, and outlives the room so late callbacks and a
-- pending stop still find it:
--   <type prefix>rec:<id>   hash: want (on|off), by (admin|auto), why (what
--     turned it off: admin|room_ended), gen (the start's number: the TRTC
--     recorder's user id carries it), since (ms), lease (ms: a performer is at
--     work until then), dirty ('1': changed while leased, run again),
--     t:<target> the task recording a target (the TRTC room: 'room'; a
--     stream: its stream id), f:<target> why starting it failed for good in
--     this generation
--   <type prefix>recbox     sorted set: room id -> when its recording work is due
--   <type prefix>recf:<id>  set: files and callbacks already turned into events
-- The work itself (the cloud API calls) is done in TypeScript
-- (shared/recording/), claimed and settled by recordingClaim / recordingSettle.
-- Starting lives in helpers/recording-start (only the scripts that start
-- recordings carry it: every room script carries this file, via rules).

-- The recording scripts name both keys in KEYS (r.rec, r.recbox); the room
-- scripts find them beside the type's outbox.
local function recordingKeys(r)
  if r.rec then return r.rec, r.recbox end
  local base = string.sub(r.outbox, 1, #r.outbox - 6) -- r.outbox is '<type prefix>outbox'
  return base .. 'rec:' .. r.id, base .. 'recbox'
end

-- As long as the log keeps the room's events, and never shorter than its keys.
local function keepRecording(rec)
  redis.call('PEXPIRE', rec, math.max(logMaxAge, backstop))
end

-- Recording work is due: the entry waits for a performer (NX: an entry under
-- lease keeps its lease; `dirty` makes its performer run once more).
local function recordingDue(r)
  local rec, box = recordingKeys(r)
  redis.call('HSET', rec, 'dirty', '1')
  redis.call('ZADD', box, 'NX', now, r.id)
  keepRecording(rec)
end

-- Stops recording the room (why: admin, or room_ended: a room that ends stops
-- its recording with it); false when it was not recording.
local function stopRecording(r, why)
  local rec = recordingKeys(r)
  if redis.call('HGET', rec, 'want') ~= 'on' then return false end
  redis.call('HSET', rec, 'want', 'off', 'why', why)
  recordingDue(r)
  return true
end
