--- login: opens a session and keeps the user's at most `cap` newest, in one
--- atomic step, so concurrent logins cannot overshoot the cap. A user under a
--- service ban gets none (checked in the same step as the index a ban's
--- revocation reads: a login racing the ban either is refused or is revoked). All sessions
--- live equally long, so the earliest expiry is the oldest login. An evicted
--- session is found in the index, so its key comes from the session key prefix.
-- KEYS
--   1 session      the new session (keys.ts sessionKey)
--   2 userSessions the user's session index: session id by expiry (keys.ts userSessionsKey)
--   3 serviceBan   the user's service-wide ban, in the same partition (keys.ts serviceBanKey)
-- ARGV: 1 userID, 2 session id, 3 TTL (ms), 4 now (ms), 5 cap, 6 session key prefix.
-- Reply: {'OK', ids of the sessions it evicted} (sessions.ts deletes their
-- copies in the other partitions), or {'BANNED', the ban's end (ms)}.
local banned = redis.call('GET', KEYS[3])
if banned then return {'BANNED', banned} end
local user, sid, ttl, now, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('SET', KEYS[1], user, 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- Strictly increasing scores: logins within one millisecond keep their order.
local score = now + ttl
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= score then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[2], score, sid)
local excess = redis.call('ZCARD', KEYS[2]) - cap
local evicted = {}
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess)) do
    if excess > 0 and old ~= sid then
      redis.call('ZREM', KEYS[2], old)
      redis.call('DEL', ARGV[6] .. old)
      evicted[#evicted + 1] = old
      excess = excess - 1
    end
  end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return {'OK', evicted}
