--- get_room_list: one page of the creation-ordered list. Entries of rooms
--- that no longer exist (expired by TTL) are dropped here. The rooms of the
--- page are found in the list, so their keys come from the type's key prefix.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 list         this type's room list
-- ARGV: the common ones (helpers/admission), then 1 offset, 2 count,
--   3 this type's key prefix, 4 include audience counts ('1'/'0').
-- Reply: {'OK', {roomDetail without its 'OK', ...}}.
--- @include "helpers/rules"
--- @include "helpers/detail"

local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
local offset, count, base = tonumber(arg(1)), tonumber(arg(2)), arg(3)
local partition = {list = KEYS[4]}
local ids = redis.call('ZRANGE', partition.list, offset, offset + count - 1)
local rooms = {}
for _, id in ipairs(ids) do
  local r = roomIn(base, id, partition)
  if redis.call('EXISTS', r.hash) == 0 then
    redis.call('ZREM', partition.list, id)
  elseif liveSeatCount(r) > 0 then
    local detail = roomDetail(r, arg(4))
    table.remove(detail, 1)
    rooms[#rooms + 1] = detail
  end
end
return {'OK', rooms}
