--- delete_pusher: the caller's seat leaves (the creator leaving may end the room).
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 room         the room hash (fields: helpers/rules)
--   5 pushers      seats: userID -> seat JSON
--   6 beats        heartbeat deadlines: userID -> ms
--   7 custom       custom fields
--   8 audience     audience: userID -> userInfo
--   9 list         this type's room list
--   10 due         this type's deadline index
--   11 outbox      this type's effect outbox
-- ARGV: the common ones (helpers/admission), then 1 creator ends room ('1'/'0').
-- Reply: {'OK', 'notify' | 'destroy'} or {refusal}: NOT_MEMBER.
--- @include "helpers/rules"

local r = {id = roomId, hash = KEYS[4], pushers = KEYS[5], beats = KEYS[6], custom = KEYS[7], audience = KEYS[8],
  list = KEYS[9], due = KEYS[10], outbox = KEYS[11], idle = idleTimeout, backstop = backstop}
local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
if redis.call('HEXISTS', r.pushers, actor) == 0 then return {'NOT_MEMBER'} end
return {'OK', leave(r, actor, arg(1))}
