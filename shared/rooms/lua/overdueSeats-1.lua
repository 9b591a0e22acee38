--- Pushers whose heartbeat is overdue in due rooms (for the optional live-stream
--- check). The rooms are found in the deadline index, so their keys come from
--- the type's key prefix.
-- KEYS
--   1 due          this type's deadline index
-- ARGV: the common ones (helpers/admission; only now is read), then 1 batch
--   size, 2 this type's key prefix.
-- Reply: {roomID, userID, seat JSON or '', ...}.
--- @include "helpers/rules"

local batch, base = tonumber(arg(1)), arg(2)
local seats = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch)) do
  local r = roomIn(base, id, {})
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', r.beats, '-inf', now)) do
    seats[#seats + 1] = id
    seats[#seats + 1] = user
    seats[#seats + 1] = redis.call('HGET', r.pushers, user) or ''
  end
end
return seats
