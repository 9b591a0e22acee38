--- Admin API, bans: sets or lifts one ban (a user's service-wide ban, or
--- their ban from one room; keys.ts), with its event (admin_ban / admin_unban)
--- in the same step: in the room's sequence (the room need not exist), or the
--- service's (roomType 'service', roomID '-'). The ban key holds the ban's
--- end (ms) and expires at that moment, so the join scripts (helpers/bans)
--- see it exactly as long as it runs; the index lists the bans for GET /admin/bans.
-- KEYS
--   1 ban          the ban (string: its end in ms, with the matching TTL)
--   2 bans         the index of bans: "<scope>|<userID>" -> end (ms)
--   3 events       the event log (helpers/events)
--   4 eventCount   the event log's position counter
--   5 room         the room hash (for a service ban a key that never exists)
--   6 seq          the room's (or the service's) event sequence key
-- ARGV: the common ones (helpers/admission; 3 roomID or '-', 11 room type or
--   'service'), then 1 'set' or 'lift', 2 the banned userID, 3 the scope
--   ('service' or '<roomType>/<roomID>'), 4 the ban's end (ms; for 'set').
-- Reply: {'OK', 1 when it changed something (a lift of no ban: 0)}.
--- @include "helpers/events"

local r = {id = roomId, type = roomType, hash = KEYS[5], seq = KEYS[6], log = KEYS[3], logCount = KEYS[4], backstop = backstop}
local user, scope = arg(2), arg(3)
local entry = scope .. '|' .. user
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if arg(1) == 'set' then
  local ends = tonumber(arg(4))
  redis.call('SET', KEYS[1], arg(4), 'PX', ends - now)
  redis.call('ZADD', KEYS[2], ends, entry)
  appendEvent(r, 'admin_ban', user, nil, {{'until', arg(4)}, {'scope', jsonString(scope)}})
  return {'OK', 1}
end
local lifted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], entry)
local liftedJson = 'false'
if lifted == 1 then liftedJson = 'true' end
appendEvent(r, 'admin_unban', user, nil, {{'scope', jsonString(scope)}, {'lifted', liftedJson}})
return {'OK', lifted}
