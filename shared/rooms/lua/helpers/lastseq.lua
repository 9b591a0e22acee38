-- The room's last event sequence number, as helpers/events nextSeq reckons
-- it (the larger of the room hash's q and the room's sequence key), read
-- without taking one; 0 before the room's first event. `r.seq`: the
-- sequence key (keys.ts roomSeqKey).
local function lastSeq(r)
  local fromKey = tonumber(redis.call('GET', r.seq) or '0')
  local fromHash = tonumber(redis.call('HGET', r.hash, 'q') or '0')
  return math.max(fromKey, fromHash)
end
