-- The admission checks every request of a caller passes, in one owner for
-- the room scripts (helpers/admission) and the heartbeat, which takes its
-- values from an ARGV of its own.

-- Fixed one-minute windows per user and per client IP: `key` is this
-- minute's counter (keys.ts quotaKey), counted in the same round trip as the
-- request itself. A limit of 0 is off.
local function overLimit(key, limit)
  if limit <= 0 then return false end
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, 60000) end
  return count > limit
end

-- Session check first (a stranger cannot spend someone's quota), then quotas.
-- `proven`: the caller's identity was proven outside the store (a webrtc_room
-- caller in AUTH_MODE demo, or by a verified JWT): there is no session to check.
-- Answers nil, or the refusal 'AUTH' | 'RATE'.
local function admitCaller(actor, proven, session, userQuota, userLimit, ipQuota, ipLimit)
  if not proven and redis.call('GET', session) ~= actor then return 'AUTH' end
  if overLimit(userQuota, userLimit) or overLimit(ipQuota, ipLimit) then return 'RATE' end
  return nil
end
