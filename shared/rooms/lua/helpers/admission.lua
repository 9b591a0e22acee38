-- Common ARGV of the room scripts, in this order (store.ts `room` passes them):
--   1 actor userID   2 now (ms)   3 roomID   4 heartbeat timeout (ms)
--   5 idle timeout (ms)   6 key backstop TTL (ms)   7 effect lease (ms)
--   8 per-user limit/min   9 per-IP limit/min (0 = off)
--   10 key prefix of the users' open-room sets (a user's set is prefix .. userID)
--   11 room type   12 event log: most events kept   13 event log: oldest kept (ms)
--   14 '1' when the caller's identity was proven outside the store (a
--      webrtc_room caller in AUTH_MODE demo, or by a verified JWT: there is
--      no session to check; shared/auth/webrtc-identity.ts), else '0'
--   15 event log: most events kept while a webhook receiver is behind (the hard bound)
-- then the script's own arguments, read with arg(1), arg(2), ...
--- @include "helpers/admit"
--- @include "helpers/backstop"
local actor, now, roomId = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local hbTimeout, idleTimeout, backstop, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local ownedBase = ARGV[10]
local roomType, logMaxLen, logMaxAge, logHardMax = ARGV[11], tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[15])

local provenOutside = ARGV[14] == '1'

local function arg(i) return ARGV[15 + i] end

local function admit(session, userQuota, ipQuota)
  return admitCaller(actor, provenOutside, session, userQuota, tonumber(ARGV[8]), ipQuota, tonumber(ARGV[9]))
end

-- Rooms a user holds open (created and not ended) across types: a sorted set
-- of room hash keys, beside the sessions in this slot. The actor's own set
-- comes in KEYS; another user's (a room's creator) is found by the prefix.
-- Ending a room or handing it on removes its entry; entries of rooms that
-- expired by TTL are pruned when counted; the set lives as long as its rooms.
local function ownedOf(user) return ownedBase .. user end
