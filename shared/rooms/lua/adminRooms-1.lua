--- Admin API, GET /admin/rooms: one page of the entered rooms of one or more
--- types, each type's rooms in creation order (its room list), with member
--- counts. Walks the lists from a cursor, so a page costs O(page), not
--- O(rooms); entries of rooms that expired by TTL are dropped on the way.
-- KEYS
--   1 list         the room list of the first type walked (the cursor's)
-- ARGV: the common ones (helpers/admission; no actor), then 1 page size,
--   2 the types to walk in order, as "type=key prefix" comma list (the first
--   one's list is KEYS[1]), 3 the cursor's creation time ('' from the start),
--   4 the cursor's room id (the last room of the previous page).
-- Reply: {'OK', rooms, more (0/1)}; a room is {type, id, roomInfo, creator,
--   createdAt, live seats, audience count, its list score (for the cursor),
--   its last event sequence number}. One room more than the page is
--   read to tell whether there is a next page.
--- @include "helpers/rules"
--- @include "helpers/lastseq"

local limit, afterScore, afterId = tonumber(arg(1)), tonumber(arg(3)), arg(4)
local rooms = {}
local CHUNK = 50
local walked = 0
for item in string.gmatch(arg(2), '[^,]+') do
  walked = walked + 1
  local type, base = string.match(item, '^([^=]+)=(.*)$')
  local list = base .. 'list'
  if walked == 1 then list = KEYS[1] end
  -- Only the first type walked starts at the cursor; the next ones from their start.
  local from = '-inf'
  if walked == 1 and afterScore then from = afterScore end
  local offset = 0
  while #rooms <= limit do
    local entries = redis.call('ZRANGEBYSCORE', list, from, '+inf', 'WITHSCORES', 'LIMIT', offset, CHUNK)
    if #entries == 0 then break end
    offset = offset + #entries / 2
    for i = 1, #entries, 2 do
      local id, score = entries[i], tonumber(entries[i + 1])
      -- Rooms created in the same millisecond sort by id: skip up to the cursor's room.
      local seen = walked == 1 and afterScore and score == afterScore and id <= afterId
      if not seen and #rooms <= limit then
        local r = roomIn(base, id, {list = list})
        local room = redis.call('HMGET', r.hash, 'i', 'c', 't')
        if not room[2] then
          redis.call('ZREM', list, id)
          offset = offset - 1
        else
          rooms[#rooms + 1] = {type, id, room[1] or '', room[2], tonumber(room[3] or score), liveSeatCount(r),
            redis.call('HLEN', r.audience), entries[i + 1], lastSeq(r)}
        end
      end
    end
  end
  if #rooms > limit then break end
end
local more = 0
if #rooms > limit then
  more = 1
  rooms[#rooms] = nil
end
return {'OK', rooms, more}
