--- Re-drive, step 1: claims dead letters for a re-drive (a lease each, so two
--- re-drives at once do not both send one), and answers them.
-- KEYS
--   1 deadIndex    dead letters: id -> claim lease end (0: unclaimed)
--   2 deadBodies   dead letters: id -> JSON
-- ARGV: 1 now (ms), 2 the claim's end (ms, stored as given: see claimWebhook),
--   3 one dead letter's id ('' all), 4 most letters.
-- Reply: {dead letter JSON, ...} (an unknown or claimed id: none).
local now, only = tonumber(ARGV[1]), ARGV[3]
local ids = {}
if only ~= '' then
  local claimed = redis.call('ZSCORE', KEYS[1], only)
  if claimed and tonumber(claimed) <= now then ids = {only} end
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
end
local letters = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    letters[#letters + 1] = body
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return letters
