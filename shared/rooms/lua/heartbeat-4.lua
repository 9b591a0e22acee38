--- pusher_heartbeat (and webrtc_room's heartbeat), the hot path: the
--- admission checks (session, quotas) and the seat's deadline, nothing more.
--- Measured with callgrind (docs/performance.md): each redis.call costs Redis
--- ~6-7k instructions (~0.8 us), each KEYS/ARGV entry ~1.2k (the tables are
--- built anew per call) and a table reply ~5k: so the script gets only the keys
--- it touches on every beat, its own short ARGV, and answers a number.
-- KEYS
--   1 session      the caller's session
--   2 userQuota    this minute's request counter of the caller
--   3 ipQuota      this minute's request counter of the client IP
--   4 beats        heartbeat deadlines: userID -> ms
-- ARGV
--   1 actor userID   2 now (ms)   3 the seat's new deadline (now + heartbeat timeout, ms)
--   4 '1' when the caller's identity was proven outside the store, else '0'
--   5 per-user limit/min   6 per-IP limit/min (0 = off)   7 key backstop TTL (ms)
--   8 roomID (with KEYS 4, the room's other keys, built only when their TTLs are looked at:
--     the room hash's TTL stands for them all)
-- Reply: 1 (the beat was taken), or {refusal}: AUTH, RATE, NOT_MEMBER.
--- @include "helpers/admit"
--- @include "helpers/backstop"

local actor, now, deadline = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local refused = admitCaller(actor, ARGV[4] == '1', KEYS[1], KEYS[2], tonumber(ARGV[5]), KEYS[3], tonumber(ARGV[6]))
if refused then return {refused} end
-- A seat counts only while its deadline is in the future: a silent pusher is
-- gone at once, before the sweeper reaps it, and must join again.
local previous = tonumber(redis.call('ZSCORE', KEYS[4], actor))
if not previous or previous <= now then return {'NOT_MEMBER'} end
redis.call('ZADD', KEYS[4], ARGV[3], actor)
-- The deadline index keeps the room's earlier deadline (helpers/rules schedule):
-- the sweeper visits then and moves it on. The backstop TTLs are looked at
-- when this seat's deadline crosses a multiple of 20 s, not on every beat:
-- while any seat beats (gaps under the heartbeat timeout hb) that happens at
-- least every 20 s + hb, and a TTL under hb + 30 s is refreshed to the backstop
-- (max(hb, idle timeout) + 60 s), so a used room's keys never run out.
if math.floor(previous / 20000) ~= math.floor(deadline / 20000) then
  -- keys.ts roomKeys: beats = base .. 'b:' .. id with base = slot .. type .. ':',
  -- and the open-room sets' prefix is slot .. 'o:' (rules.lua roomIn spells the same).
  local id = ARGV[8]
  local base = string.sub(KEYS[4], 1, #KEYS[4] - #id - 2)
  local room = base .. 'r:' .. id
  if redis.call('PTTL', room) < deadline - now + 30000 then
    local ownedBase = string.match(base, '^(.*:)[^:]+:$') .. 'o:'
    keepRoomKeys(room, base .. 'p:' .. id, KEYS[4], base .. 'c:' .. id, base .. 'a:' .. id, ownedBase, tonumber(ARGV[7]))
  end
end
return 1
