-- Admin bans (keys.ts serviceBanKey / roomBanKey, set by adminBan): a join
-- by a banned user is refused in the same script that would seat, create or
-- admit them, so a ban set before the join is never missed. The keys expire
-- when the ban ends (they hold that moment, ms). Every join path calls this:
-- create_room (prepareCreate, createRoom), add_pusher (joinRoom, also a seat
-- update), add_audience (audience 'add'), and any script a new room type's
-- join uses (it passes its actor's two ban keys).
-- Answers nil, or the refusal {'BANNED', scope ('service' | 'room'), end (ms)}.
local function banRefusal(serviceBan, roomBan)
  local ends = redis.call('GET', serviceBan)
  if ends then return {'BANNED', 'service', ends} end
  ends = redis.call('GET', roomBan)
  if ends then return {'BANNED', 'room', ends} end
  return nil
end
