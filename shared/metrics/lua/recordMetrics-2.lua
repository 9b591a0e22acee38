--- Adds one container's buffered counts (shared/metrics/recorder.ts) to a
--- partition's metrics: one minute's hash and the running totals, in one
--- command. Counts are integers (durations in microseconds).
-- KEYS
--   1 minute       the partition's metrics hash of that minute ("<slot>m:<minute>")
--   2 total        the partition's running totals ("<slot>m:all")
-- ARGV: 1 the minute hash's TTL (ms), 2 how many field/count pairs go to both
--   hashes, 3 how many then go to the totals only; the pairs after those go
--   to the minute hash only.
-- Reply: the number of fields written.
local both, totalOnly = tonumber(ARGV[2]), tonumber(ARGV[3])
local i, written = 4, 0
local function add(key, n)
  for _ = 1, n do
    redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1])
    i, written = i + 2, written + 1
  end
end
for _ = 1, both do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  i, written = i + 2, written + 1
end
add(KEYS[2], totalOnly)
add(KEYS[1], (#ARGV - i + 1) / 2)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return written
