-- Backstop: even if no code ever touches a room again, its keys expire. Each
-- write that keeps a room refreshes their TTLs: the room's keys (keys.ts
-- roomKeys) and its creator's open-room set (ownedBase .. creator) live `ttl` more.
local function keepOwned(owned, ttl)
  if redis.call('PTTL', owned) < ttl then redis.call('PEXPIRE', owned, ttl) end
end
local function keepRoomKeys(hash, pushers, beats, custom, audience, ownedBase, ttl)
  for _, key in ipairs({hash, pushers, beats, custom, audience}) do redis.call('PEXPIRE', key, ttl) end
  local creator = redis.call('HGET', hash, 'c')
  if creator then keepOwned(ownedBase .. creator, ttl) end
end
