--- Metrics gauges read at scrape time (GET /admin/metrics): per room type of
--- one partition, the entered rooms, their live seats (pushers; webrtc_room
--- members) and their audience. Walks the rooms lists: O(rooms) per scrape,
--- which is why it is read when scraped, not on any request path.
-- KEYS
--   1 list         the room list of the first type walked
-- ARGV: the common ones (helpers/admission; no actor), then 1 the types to
--   walk, as "type=key prefix" comma list (the first one's list is KEYS[1]).
-- Reply: {'OK', {type, rooms, pushers, audience}, ...}
--- @include "helpers/rules"

local counts = {}
local walked = 0
for item in string.gmatch(arg(1), '[^,]+') do
  walked = walked + 1
  local type, base = string.match(item, '^([^=]+)=(.*)$')
  local list = base .. 'list'
  if walked == 1 then list = KEYS[1] end
  local rooms, pushers, audience = 0, 0, 0
  for _, id in ipairs(redis.call('ZRANGE', list, 0, -1)) do
    local r = roomIn(base, id, {list = list})
    if redis.call('EXISTS', r.hash) == 1 then
      rooms = rooms + 1
      pushers = pushers + liveSeatCount(r)
      audience = audience + redis.call('HLEN', r.audience)
    end
  end
  counts[#counts + 1] = {type, rooms, pushers, audience}
end
return {'OK', counts}
