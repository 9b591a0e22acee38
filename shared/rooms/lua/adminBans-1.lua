--- Admin API, GET /admin/bans: the bans in force, soonest end first.
-- KEYS
--   1 bans         the index of bans: "<scope>|<userID>" -> end (ms)
-- ARGV: the common ones (helpers/admission; no actor).
-- Reply: {'OK', flat entry, end ...}.
--- @include "helpers/admission"

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return {'OK', redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')}
