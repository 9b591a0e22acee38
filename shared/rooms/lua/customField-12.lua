--- set_custom_field: only a pusher of the room (a live seat) writes, within
--- the caps on fields and bytes (names + values) per room. A repeated opID of
--- this caller is answered with its first result and not applied again.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 customOp     the result kept for this caller's opID (unused when arg(6) is '')
--   10 events      the event log (helpers/events)
--   11 eventCount  the event log's position counter
--   12 seq         the room's event sequence key
-- ARGV: the common ones (helpers/admission), then 1 field, 2 op (inc/dec/set),
--   3 JSON value for set, 4 max fields, 5 max bytes, 6 the client's opID
--   ('' = none), 7 signed step for inc/dec.
-- Reply: {'OK', field, stored JSON value} or {refusal}: NO_ROOM, NOT_MEMBER,
--   NOT_INT, CUSTOM_FIELDS max, CUSTOM_BYTES max.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8], backstop = backstop,
  type = roomType, log = KEYS[10], logCount = KEYS[11], seq = KEYS[12]}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if redis.call('HGET', r.hash, 'a') ~= '1' then return {'NO_ROOM'} end
if not isLiveSeat(r, actor) then return {'NOT_MEMBER'} end
local field, op = arg(1), arg(2)
local opKey = nil
if arg(6) ~= '' then
  opKey = KEYS[9]
  local done = redis.call('GET', opKey)
  if done then return {'OK', field, done} end
end
local old = redis.call('HGET', r.custom, field)
local value = arg(3)
if op ~= 'set' then
  local current = tonumber(old or '0')
  -- Past 2^53 doubles stop being exact integers (and %d wraps): not a counter.
  if current == nil or current ~= math.floor(current) or math.abs(current) >= 9007199254740991 then return {'NOT_INT'} end
  local result = current + tonumber(arg(7))
  if math.abs(result) >= 9007199254740991 then return {'NOT_INT'} end
  value = string.format('%d', result)
end
if not old and redis.call('HLEN', r.custom) >= tonumber(arg(4)) then return {'CUSTOM_FIELDS', arg(4)} end
local bytes = #field + #value
local flat = redis.call('HGETALL', r.custom)
for i = 1, #flat, 2 do
  if flat[i] ~= field then bytes = bytes + #flat[i] + #flat[i + 1] end
end
if bytes > tonumber(arg(5)) then return {'CUSTOM_BYTES', arg(5)} end
redis.call('HSET', r.custom, field, value)
appendEvent(r, 'custom_changed', actor, nil, {{'field', jsonString(field)}, {'operation', jsonString(op)}, {'value', value}})
if opKey then redis.call('SET', opKey, value, 'PX', backstop) end
touch(r)
return {'OK', field, value}
