--- One request of a client IP on an endpoint that runs no room script.
-- KEYS
--   1 window       this minute's counter of the IP (keys.ts ipQuotaKey)
-- ARGV: 1 window length (ms).
-- Reply: the count so far in this window.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
