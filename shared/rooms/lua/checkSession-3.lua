--- Session and quotas only (get_push_url, and create_room before it makes the IM group).
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
-- ARGV: the common ones (helpers/admission).
-- Reply: {'OK'} or {refusal}.
--- @include "helpers/admission"

local refused = admit(KEYS[1], KEYS[2], KEYS[3])
if refused then return {refused} end
return {'OK'}
