--- A push or stop callback of the live platform; no session: the caller
--- checked the callback's signature. The seat it concerns is found in the
--- stream's record (written by joinRoom), so that room's keys come from the
--- key prefix the record holds.
-- KEYS
--   1 stream       the stream's record (keys.ts streamKey)
--   2 events       the event log (helpers/events)
--   3 eventCount   the event log's position counter
-- ARGV: the common ones (helpers/admission; now, lease and the event log bounds are read),
--   then 1 stream id, 2 sequence (one push's start and stop share it),
--   3 '1' push / '0' stop, 4 event time (s), 5 record TTL (ms), 6 per room
--   type "base|idle|backstop|creatorEnds" (comma list).
-- Reply: {'OK', outcome, base, roomID, effect}; outcome 'duplicate', 'stale'
--   (older than what the record already knows), 'recorded' (no seat has this
--   stream), 'live' or 'removed'.
--- @include "helpers/rules"

local sk, streamId, seq, ev, at = KEYS[1], arg(1), arg(2), arg(3), tonumber(arg(4))
local seen = 'd:' .. seq .. ':' .. ev
if redis.call('HEXISTS', sk, seen) == 1 then return {'OK', 'duplicate'} end
redis.call('HSET', sk, seen, '1')
redis.call('PEXPIRE', sk, tonumber(arg(5)))
-- HGET, not HMGET: the embedded store's HMGET answers a truthy null for a missing field.
local rec = {}
for i, field in ipairs({'live', 'startAt', 'stopAt', 'base', 'room', 'user'}) do rec[i] = redis.call('HGET', sk, field) end
if ev == '1' then
  -- A start whose own stop was handled, or older than the last stop, is a late retry.
  if redis.call('HEXISTS', sk, 'd:' .. seq .. ':0') == 1 or (rec[3] and at < tonumber(rec[3])) then return {'OK', 'stale'} end
  redis.call('HSET', sk, 'live', seq, 'startAt', at)
else
  -- A stop older than a later start of this stream ended an earlier push.
  if rec[1] and rec[1] ~= seq and tonumber(rec[2]) >= at then return {'OK', 'stale'} end
  redis.call('HDEL', sk, 'live')
  redis.call('HSET', sk, 'stopAt', at)
end
local base, id, user = rec[4], rec[5], rec[6]
if not base then return {'OK', 'recorded'} end
local partition, creatorEnds = nil, nil
for item in string.gmatch(arg(6), '[^,]+') do
  local b, idle, bs, ce = string.match(item, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  if b == base then
    partition = partitionIn(b, tonumber(idle), tonumber(bs), KEYS[2], KEYS[3])
    creatorEnds = ce
  end
end
if not partition then return {'OK', 'recorded'} end
local r = roomIn(base, id, partition)
-- The record may outlive the seat: only a seat whose current stream this is counts.
if redis.call('HGET', r.hash, 's:' .. user) ~= streamId or redis.call('HEXISTS', r.pushers, user) == 0 then return {'OK', 'recorded'} end
if ev == '1' then
  redis.call('HSET', r.hash, 'l:' .. user, seq)
  return {'OK', 'live', base, id, ''}
end
return {'OK', 'removed', base, id, leave(r, user, creatorEnds, 'stream_stopped')}
