--- Admin API, a service ban's evictions in one partition: walks the room
--- lists of every type from a cursor and takes the banned user's seats and
--- audience places (helpers/rules evictBanned), a bounded number of rooms per
--- call. The ban is set before the walk (adminBan), so no join can seat the
--- user behind it; the cursor is a list position (creation time, room id),
--- so rooms ending meanwhile do not shift it. Only entered rooms can hold a
--- seat or an audience place, and those are the ones the lists hold.
-- KEYS
--   1 events       the partition's event log (helpers/events)
--   2 eventCount   its position counter
-- ARGV: the common ones (helpers/admission; no actor), then 1 the banned
--   userID, 2 per room type "type=key prefix|idle|backstop|creatorEnds|mediaRoom"
--   (comma list, walk order), 3 the cursor's type index (1-based), 4 its
--   creation time ('' from the start), 5 its room id, 6 most rooms to look at.
-- Reply: {'OK', {type, roomID, effect, ...}, next type index or 0 when done,
--   next creation time, next room id}.
--- @include "helpers/rules"
--- @include "helpers/evict"

local user, budget = arg(1), tonumber(arg(6))
local effects = {}
local typeIndex, afterScore, afterId = tonumber(arg(3)), tonumber(arg(4)), arg(5)
local walked, looked, afterText = 0, 0, arg(4)
for item in string.gmatch(arg(2), '[^,]+') do
  walked = walked + 1
  if walked >= typeIndex then
    local type, base, idle, keep, creatorEnds, media = string.match(item, '^([^=]+)=([^|]+)|(%d+)|(%d+)|(%d)|(%d)$')
    local p = partitionIn(base, tonumber(idle), tonumber(keep), KEYS[1], KEYS[2])
    local from = '-inf'
    if walked ~= typeIndex or not afterScore then afterScore, afterId = nil, nil else from = afterText end
    local offset = 0
    while true do
      local entries = redis.call('ZRANGEBYSCORE', p.list, from, '+inf', 'WITHSCORES', 'LIMIT', offset, 100)
      if #entries == 0 then break end
      offset = offset + #entries / 2
      for i = 1, #entries, 2 do
        local id, score = entries[i], tonumber(entries[i + 1])
        -- Rooms created in the same millisecond sort by id: skip up to the cursor's room.
        if not (afterScore and score == afterScore and id <= afterId) then
          if looked >= budget then return {'OK', effects, walked, afterId and afterText or '', afterId or ''} end
          looked = looked + 1
          local r = roomIn(base, id, p)
          if redis.call('EXISTS', r.hash) == 1 then
            local effect = evictBanned(r, user, creatorEnds, media)
            -- An ended room left the list: the next entries moved up one.
            if redis.call('EXISTS', r.hash) == 0 then offset = offset - 1 end
            if effect ~= '' then
              effects[#effects + 1] = type
              effects[#effects + 1] = id
              effects[#effects + 1] = effect
            end
          end
          afterScore, afterId, afterText = score, id, entries[i + 1]
        end
      end
    end
  end
end
return {'OK', effects, 0, '', ''}
