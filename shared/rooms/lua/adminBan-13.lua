--- Admin API, bans: sets or lifts one ban (a user's service-wide ban, or
--- their ban from one room; keys.ts), with its event (admin_ban / admin_unban)
--- in the same step: in the room's sequence (the room need not exist), or the
--- service's (roomType 'service', roomID '-'). The ban key holds the ban's
--- end (ms) and expires at that moment, so the join scripts (helpers/bans)
--- see it exactly as long as it runs; the index lists the bans for GET /admin/bans.
--- A room ban takes effect at once in the same step: the user's seat and
--- audience place in the room go (helpers/rules evictBanned). A service ban's
--- evictions are walked room by room afterwards (banEvict), after this script
--- has stopped every new join.
-- KEYS
--   1 ban          the ban (string: its end in ms, with the matching TTL)
--   2 bans         the index of bans: "<scope>|<userID>" -> end (ms)
--   3 events       the event log (helpers/events)
--   4 eventCount   the event log's position counter
--   5 room         the room hash (for a service ban a key that never exists)
--   6 seq          the room's (or the service's) event sequence key
--   7 pushers      seats of the banned room (helpers/rules)
--   8 beats        heartbeat deadlines of the banned room
--   9 custom       custom fields of the banned room
--   10 audience    audience of the banned room
--   11 list        the room type's room list
--   12 due         the room type's deadline index
--   13 outbox      the room type's effect outbox
-- ARGV: the common ones (helpers/admission; 3 roomID or '-', 11 room type or
--   'service'), then 1 'set' or 'lift', 2 the banned userID, 3 the scope
--   ('service' or '<roomType>/<roomID>'), 4 the ban's end (ms; for 'set'),
--   5 creator ends room ('1'/'0'), 6 '1' when the room has a media room of
--   its own (webrtc_room: the member is removed from it too).
-- Reply: {'OK', 1 when it changed something (a lift of no ban: 0), the
--   effect of the eviction to perform ('' for none)}.
--- @include "helpers/rules"
--- @include "helpers/evict"

local r = {id = roomId, type = roomType, hash = KEYS[5], seq = KEYS[6], log = KEYS[3], logCount = KEYS[4], backstop = backstop,
  pushers = KEYS[7], beats = KEYS[8], custom = KEYS[9], audience = KEYS[10], list = KEYS[11], due = KEYS[12], outbox = KEYS[13],
  idle = idleTimeout}
local user, scope = arg(2), arg(3)
local entry = scope .. '|' .. user
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if arg(1) == 'set' then
  local ends = tonumber(arg(4))
  redis.call('SET', KEYS[1], arg(4), 'PX', ends - now)
  redis.call('ZADD', KEYS[2], ends, entry)
  appendEvent(r, 'admin_ban', user, nil, {{'until', arg(4)}, {'scope', jsonString(scope)}})
  local evicted = ''
  if scope ~= 'service' and redis.call('EXISTS', r.hash) == 1 then evicted = evictBanned(r, user, arg(5), arg(6)) end
  return {'OK', 1, evicted}
end
local lifted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], entry)
local liftedJson = 'false'
if lifted == 1 then liftedJson = 'true' end
appendEvent(r, 'admin_unban', user, nil, {{'scope', jsonString(scope)}, {'lifted', liftedJson}})
return {'OK', lifted, ''}
