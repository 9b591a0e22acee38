--- Admin API, POST .../info: replaces the room's roomInfo (byte limit checked
--- by the caller, as create_room's). Clients read roomInfo from get_pushers /
--- get_room_list and re-read get_pushers on the member-change notice, so an
--- entered room's members get that notice (through the outbox). Event:
--- admin_info with the new roomInfo.
-- KEYS
--   1 room         the room hash (fields: helpers/rules)
--   2 pushers      seats: userID -> seat JSON
--   3 beats        heartbeat deadlines: userID -> ms
--   4 custom       custom fields
--   5 audience     audience: userID -> userInfo
--   6 outbox       this type's effect outbox
--   7 events      the event log (helpers/events)
--   8 eventCount  the event log's position counter
--   9 seq         the room's event sequence key
-- ARGV: the common ones (helpers/admission; no actor), then 1 roomInfo.
-- Reply: {'OK', 'notify' | ''} or {'NO_ROOM'}.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[1], pushers = KEYS[2], beats = KEYS[3], custom = KEYS[4], audience = KEYS[5],
  outbox = KEYS[6], backstop = backstop, type = roomType, log = KEYS[7], logCount = KEYS[8], seq = KEYS[9]}
if not redis.call('HGET', r.hash, 'c') then return {'NO_ROOM'} end
redis.call('HSET', r.hash, 'i', arg(1))
appendEvent(r, 'admin_info', nil, nil, {{'roomInfo', jsonString(arg(1))}})
touch(r)
if redis.call('HGET', r.hash, 'a') == '1' and liveSeatCount(r) > 0 then return {'OK', effect(r, 'notify')} end
return {'OK', ''}
