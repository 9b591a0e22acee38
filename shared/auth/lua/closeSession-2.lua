--- logout: revokes the caller's session.
-- KEYS
--   1 session      the session (keys.ts sessionKey)
--   2 userSessions the user's session index (keys.ts userSessionsKey)
-- ARGV: 1 userID, 2 session id.
-- Reply: 1 when the session was the user's and is gone now, else 0.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
