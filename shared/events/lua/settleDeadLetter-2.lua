--- Re-drive, step 2: a delivered dead letter goes; a failed one stays, with
--- its attempts and last failure updated, unclaimed again.
-- KEYS
--   1 deadIndex    dead letters: id -> claim lease end (0: unclaimed)
--   2 deadBodies   dead letters: id -> JSON
-- ARGV: 1 id, 2 'ok' / 'fail', 3 the updated JSON (on 'fail').
-- Reply: 1 when the letter was still there, else 0.
local id = ARGV[1]
if not redis.call('ZSCORE', KEYS[1], id) then return 0 end
if ARGV[2] == 'ok' then
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
else
  redis.call('ZADD', KEYS[1], 0, id)
  redis.call('HSET', KEYS[2], id, ARGV[3])
end
return 1
