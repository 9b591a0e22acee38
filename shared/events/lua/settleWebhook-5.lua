--- Webhook delivery, step 2: records how a batch's POST went and, while the
--- caller still holds the lease, answers the next batch (one round trip per
--- batch). A failed batch waits (exponential backoff) and is retried; after
--- its last attempt it is parked as a dead letter and the cursor moves on.
-- KEYS
--   1 receiver     the receiver's delivery state (see claimWebhook)
--   2 events       the event log (helpers/events)
--   3 deadIndex    dead letters: id -> claim lease end (0: unclaimed); ids
--                  start with the time parked, so the oldest sorts first
--   4 deadBodies   dead letters: id -> JSON
--   5 receivers    every receiver's cursor (see claimWebhook)
-- ARGV: 1 lease token, 2 'ok' / 'fail', 3 position of the batch's last
--   event, 4 most attempts, 5 when to retry after this failure (ms; the
--   caller's backoff), 6 the failure ('' on 'ok'), 7 dead letter id, 8 dead
--   letter JSON (parked as it is when this was the last attempt), 9 next batch
--   size (0: release the lease and stop), 10 the renewed lease's end (ms),
--   11 most dead letters kept, 12 this receiver's id. (Moments are stored as given, as in claimWebhook.)
-- Reply: {status, dropped dead letter id or '', nextAt or '', attempts, cursor,
--   {event JSON, ...}}; status 'LOST' (the lease was taken over: nothing
--   recorded), 'WAIT' (retry at nextAt), 'IDLE' (nothing more; lease released)
--   or 'OK' (the next batch, lease renewed).
local receiver, token = KEYS[1], ARGV[1]
if redis.call('HGET', receiver, 'lease') ~= token then return {'LOST', '', '', 0, '', {}} end
local dropped = ''
if ARGV[2] ~= 'ok' then
  local attempts = redis.call('HINCRBY', receiver, 'attempts', 1)
  if attempts < tonumber(ARGV[4]) then
    redis.call('HSET', receiver, 'nextAt', ARGV[5], 'lastError', ARGV[6])
    redis.call('HDEL', receiver, 'lease', 'leaseUntil')
    return {'WAIT', '', ARGV[5], attempts, '', {}}
  end
  redis.call('ZADD', KEYS[3], 0, ARGV[7])
  redis.call('HSET', KEYS[4], ARGV[7], ARGV[8])
  -- Bounded: past the cap the oldest letter goes (the caller logs it; its events stay replayable while in the log).
  if redis.call('ZCARD', KEYS[3]) > tonumber(ARGV[11]) then
    dropped = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    redis.call('ZREM', KEYS[3], dropped)
    redis.call('HDEL', KEYS[4], dropped)
  end
end
redis.call('HSET', receiver, 'cursor', ARGV[3], 'attempts', '0')
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[12])
redis.call('HDEL', receiver, 'nextAt', 'lastError')
local size = tonumber(ARGV[9])
local batch = {}
if size > 0 then batch = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[3], '+inf', 'LIMIT', 0, size) end
if #batch == 0 then
  redis.call('HDEL', receiver, 'lease', 'leaseUntil')
  return {'IDLE', dropped, '', 0, ARGV[3], {}}
end
redis.call('HSET', receiver, 'leaseUntil', ARGV[10])
return {'OK', dropped, '', 0, ARGV[3], batch}
