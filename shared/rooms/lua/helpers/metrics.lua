-- Event counters for the metrics (shared/metrics/, README "Metrics"):
-- every event a script appends is counted in its partition's per-minute
-- metrics hash and in the partition's running totals, in the same atomic
-- step and round trip as the change itself. Fields are
-- "ev|<kind>|<room type>|<reason or ->" (shared/metrics/fields.ts reads them).
-- The metrics keys sit beside the event log, in its slot: the log is
-- "<slot>ev", the hashes "<slot>m:<minute>" and "<slot>m:all".
local METRICS_MINUTE_TTL_MS = 48 * 3600 * 1000 + 120000

local function countEvent(r, kind, reason)
  local base = string.sub(r.log, 1, -3)
  local minute = base .. 'm:' .. string.format('%d', math.floor(now / 60000))
  local field = 'ev|' .. kind .. '|' .. r.type .. '|' .. (reason or '-')
  redis.call('HINCRBY', minute, field, 1)
  redis.call('PEXPIRE', minute, METRICS_MINUTE_TTL_MS)
  redis.call('HINCRBY', base .. 'm:all', field, 1)
end
