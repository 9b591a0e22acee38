--- ROOMS_PER_USER across partitions (N > 1): in the creator's home partition,
--- reserves `<type>|<id>` unless the user already holds `limit` other entries
--- (store.ts reserveHome prunes entries of rooms gone first). Atomic, so two
--- concurrent creates cannot both take the last place.
-- KEYS
--   1 homeRooms    the creator's home room set (entry -> 0 once created, else the reservation's time)
-- ARGV: its own, not the common ones (no session, quota or room here: the
--   room partition's prepareCreate/joinRoom checked those): 1 entry
--   `<type>|<roomID>`, 2 now, 3 limit, 4 the set's TTL in ms.
-- Reply: 1 reserved (or already held), 0 refused.

if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
