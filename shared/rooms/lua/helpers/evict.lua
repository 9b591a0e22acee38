--- @include "helpers/rules"
-- The service removes a member (an admin's kick, a ban): as leave, and in a
-- room with a media room of its own (webrtc_room, mediaRoom '1') the member
-- is also taken out of it: a 'remove|roomID|userID' effect (the TRTC API)
-- instead of the notice, since TRTC tells the others itself. (An ended room
-- is dismissed instead, which removes everyone.)
local function evict(r, user, creatorEndsRoom, reason, mediaRoom)
  local outcome = leave(r, user, creatorEndsRoom, reason)
  if mediaRoom == '1' and outcome == 'notify' then
    redis.call('ZREM', r.outbox, 'notify|' .. r.id)
    return effect({id = r.id .. '|' .. user, outbox = r.outbox}, 'remove')
  end
  return outcome
end

-- A ban takes effect at once: the user's audience place and seat in this
-- room go (audience_left / pusher_left reason 'banned'; the others are told
-- as for a kick). Answers the effect to perform ('' when they held neither).
local function evictBanned(r, user, creatorEndsRoom, mediaRoom)
  if redis.call('HDEL', r.audience, user) == 1 then appendEvent(r, 'audience_left', user, 'banned') end
  if redis.call('HEXISTS', r.pushers, user) == 0 then return '' end
  return evict(r, user, creatorEndsRoom, 'banned', mediaRoom)
end
