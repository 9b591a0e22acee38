--- Webhook delivery, step 1: takes the receiver's lease and answers the next
--- batch of events after its cursor (shared/events/webhooks.ts). One holder
--- of the lease at a time, so concurrent functions do not send the same batch.
-- KEYS
--   1 receiver     the receiver's delivery state (keys.ts webhookKey), a hash:
--                  cursor (position of the last event done), lease (holder's
--                  token), leaseUntil (ms), attempts (of the batch after the
--                  cursor), nextAt (ms, no attempt before), lastError
--   2 events       the event log (helpers/events)
--   3 receivers    every receiver's cursor (keys.ts eventReceiversKey): the
--                  log keeps what the lowest has not got (helpers/events trimLog)
-- ARGV: 1 now (ms), 2 lease token, 3 the lease's end (ms), 4 batch size,
--   5 this receiver's id, 6 the configured receivers' ids (comma list).
-- (Moments are computed by the caller and stored as given: the embedded
-- store's Lua has 32-bit integers, so %d cannot format a time in ms there.)
-- Reply: {'OK', attempts so far, cursor, {event JSON, ...}}, {'BUSY'} (someone
--   holds the lease), {'WAIT', nextAt} (backing off) or {'IDLE'} (nothing new).
local receiver, now = KEYS[1], tonumber(ARGV[1])
-- The receivers the log waits for: the configured ones (a receiver taken out
-- of WEBHOOK_URL no longer holds events back), each from its cursor.
local configured = ',' .. ARGV[6] .. ','
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if not string.find(configured, ',' .. id .. ',', 1, true) then redis.call('ZREM', KEYS[3], id) end
end
if not redis.call('ZSCORE', KEYS[3], ARGV[5]) then redis.call('ZADD', KEYS[3], redis.call('HGET', receiver, 'cursor') or '0', ARGV[5]) end
if tonumber(redis.call('HGET', receiver, 'leaseUntil') or '0') > now then return {'BUSY'} end
local nextAt = tonumber(redis.call('HGET', receiver, 'nextAt') or '0')
if nextAt > now then return {'WAIT', redis.call('HGET', receiver, 'nextAt')} end
local cursor = redis.call('HGET', receiver, 'cursor') or '0'
-- A log whose last position is below the cursor started over (the log and its
-- counter were lost while this state was not): deliver it from its start.
local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2]
if top and tonumber(top) < tonumber(cursor) then
  cursor = '0'
  redis.call('ZADD', KEYS[3], 0, ARGV[5])
end
local batch = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. cursor, '+inf', 'LIMIT', 0, tonumber(ARGV[4]))
if #batch == 0 then return {'IDLE'} end
redis.call('HSET', receiver, 'lease', ARGV[2], 'leaseUntil', ARGV[3])
return {'OK', tonumber(redis.call('HGET', receiver, 'attempts') or '0'), cursor, batch}
