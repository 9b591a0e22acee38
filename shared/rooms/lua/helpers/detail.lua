-- A room as get_pushers / get_room_list answer it: {'OK', id, roomInfo,
-- creator, mixedPlayURL, custom fields (flat), live seats' JSON[, audience count]}.
local function roomDetail(r, withAudience)
  local room = redis.call('HMGET', r.hash, 'i', 'c', 'm')
  local live = redis.call('ZRANGEBYSCORE', r.beats, '(' .. now, '+inf')
  local pushers = {}
  if #live > 0 then pushers = redis.call('HMGET', r.pushers, unpack(live)) end
  local reply = {'OK', r.id, room[1] or '', room[2] or '', room[3] or '',
    redis.call('HGETALL', r.custom), pushers}
  if withAudience == '1' then reply[8] = redis.call('HLEN', r.audience) end
  return reply
end
