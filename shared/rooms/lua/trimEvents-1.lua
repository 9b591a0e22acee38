--- Sweeper: bounds the event log when no change appends to it (appends trim it too).
-- KEYS
--   1 events       the event log (helpers/events)
-- ARGV: the common ones (helpers/admission; now and the event log bounds are read).
-- Reply: {'OK', events left}.
--- @include "helpers/events"

trimLog(KEYS[1], 5000)
return {'OK', redis.call('ZCARD', KEYS[1])}
