--- Admin API, bans: sets or lifts one ban (a user's service-wide ban, or
--- their ban from one room; keys.ts). The ban key holds the ban's end (ms) and
--- expires at that moment, so the join scripts see it exactly as long as it
--- runs; the index lists the bans for GET /admin/bans.
-- KEYS
--   1 ban          the ban (string: its end in ms, with the matching TTL)
--   2 bans         the index of bans: "<scope>|<userID>" -> end (ms)
-- ARGV: the common ones (helpers/admission; no actor), then 1 'set' or
--   'lift', 2 the index entry, 3 the ban's end (ms; for 'set').
-- Reply: {'OK', 1 when it changed something (a lift of no ban: 0)}.
--- @include "helpers/admission"

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if arg(1) == 'set' then
  local ends = tonumber(arg(3))
  redis.call('SET', KEYS[1], arg(3), 'PX', ends - now)
  redis.call('ZADD', KEYS[2], ends, arg(2))
  return {'OK', 1}
end
local lifted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], arg(2))
return {'OK', lifted}
