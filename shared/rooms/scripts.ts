/**
 * The room rules, as Lua. Every state change of a room is one of these scripts,
 * so concurrent requests cannot oversubscribe a seat or corrupt a counter.
 *
 * Key layout (see keys.ts): every key shares the hash tag `{rooms}`, so each
 * script touches exactly one Cluster slot, and the room list and deadline
 * index live beside the rooms and change in the same atomic step. The session
 * is checked inside the same script, which is what makes `pusher_heartbeat`
 * one round trip.
 *
 * Common ARGV of the room scripts:
 *   1 actor userID   2 now (ms)   3 roomID   4 heartbeat timeout (ms)
 *   5 idle timeout (ms)   6 key backstop TTL (ms)   7 effect lease (ms)
 *   8 client IP   9 per-user limit/min   10 per-IP limit/min (0 = off)
 * then the script's own arguments, read with arg(1), arg(2), ...
 * Common KEYS: 1 session 2 room 3 pushers 4 beats 5 custom 6 audience
 *   7 room list 8 deadline index 9 effect outbox 10-11 this room id in the
 *   other two room types (IM group ids are one namespace across types)
 *
 * Replies start with a status word; TypeScript maps it to a protocol code.
 */

/** Keys, arguments, and the session and quota checks: what every room script needs. */
const ADMISSION = `
local K_SESS, K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD, K_LIST, K_DUE, K_OUTBOX =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]

-- A room id is also its IM group id, and IM has one namespace: a room of
-- another type with this id would share (and could destroy) our group.
local function idUsedByOtherType()
  return redis.call('EXISTS', KEYS[10], KEYS[11]) > 0
end

-- create_room's refusal (code 11): this room exists, or another type uses the id.
local function idTaken()
  return redis.call('EXISTS', K_ROOM) == 1 or idUsedByOtherType()
end
local actor, now, roomId = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local hbTimeout, idleTimeout, backstop, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

local function arg(i) return ARGV[10 + i] end

-- Rooms a user holds open (created and not ended) across types: a sorted set of
-- room keys, beside the sessions in this slot. Ending a room or handing it on
-- removes its entry; entries of rooms that expired by TTL are pruned when
-- counted; the set lives as long as its rooms.
local function ownedKey(user) return string.match(K_SESS, '^(.*:)s:[^:]*$') .. 'o:' .. user end
local function keepOwned(user)
  local key = ownedKey(user)
  if redis.call('PTTL', key) < backstop then redis.call('PEXPIRE', key, backstop) end
end

-- Fixed one-minute windows per user and per client IP, counted in this
-- partition, in the same round trip as the request itself.
local function overLimit(kind, who, limit)
  if limit <= 0 then return false end
  local key = string.gsub(K_LIST, 'list$', 'rl:' .. kind .. ':' .. who .. ':' .. math.floor(now / 60000))
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, 60000) end
  return count > limit
end

-- Session check first (a stranger cannot spend someone's quota), then quotas.
local function admit()
  if redis.call('GET', K_SESS) ~= actor then return 'AUTH' end
  if overLimit('u', actor, tonumber(ARGV[9])) or overLimit('ip', ARGV[8], tonumber(ARGV[10])) then return 'RATE' end
  return nil
end
`;

/** The room rules shared by the state-changing scripts. */
const RULES = `
-- A seat counts only while its heartbeat deadline is in the future: a silent
-- pusher is gone from every read at once, before the sweeper reaps it.
local function isLiveSeat(user)
  local deadline = redis.call('ZSCORE', K_BEATS, user)
  return deadline ~= false and tonumber(deadline) > now
end

local function liveSeatCount()
  return redis.call('ZCOUNT', K_BEATS, '(' .. now, '+inf')
end

-- The deadline index holds each room's next moment of interest: its idle
-- reclaim time while nobody entered it, else its earliest heartbeat deadline.
local function schedule()
  if redis.call('HGET', K_ROOM, 'a') == '1' then
    local first = redis.call('ZRANGE', K_BEATS, 0, 0, 'WITHSCORES')
    redis.call('ZADD', K_DUE, first[2] or now, roomId)
  else
    redis.call('ZADD', K_DUE, tonumber(redis.call('HGET', K_ROOM, 't')) + idleTimeout, roomId)
  end
end

-- Backstop: even if no code ever touches the room again, its keys expire.
local function touch()
  for _, key in ipairs({K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD}) do
    redis.call('PEXPIRE', key, backstop)
  end
  local creator = redis.call('HGET', K_ROOM, 'c')
  if creator then keepOwned(creator) end
end

-- The actor's open rooms other than this one: rooms that exist with them as
-- creator, plus ids they are creating right now (reserved before the IM call,
-- for one effect lease), so concurrent creations cannot make more IM groups
-- than the quota allows. ROOMS_PER_USER is checked by every script that
-- makes the actor a room's creator.
local function overRoomQuota(limit)
  local key, count = ownedKey(actor), 0
  local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    local room, since = entries[i], tonumber(entries[i + 1])
    local creator = redis.call('HGET', room, 'c')
    if creator == actor or (not creator and since > now - lease) then
      if room ~= K_ROOM then count = count + 1 end
    else
      redis.call('ZREM', key, room)
    end
  end
  return count >= tonumber(limit)
end

-- Counts this room id among the actor's open rooms while its IM group is made.
local function reserveRoom()
  redis.call('ZADD', ownedKey(actor), now, K_ROOM)
  keepOwned(actor)
end

-- Someone else's room took this id: the actor's reservation of it is void.
local function dropReservation()
  if redis.call('HGET', K_ROOM, 'c') ~= actor then redis.call('ZREM', ownedKey(actor), K_ROOM) end
end

-- Owned entries: score 0 for a room the user created (counted while it
-- exists with them as creator), the time of reservation for one being created.
local function makeCreator(user)
  local previous = redis.call('HGET', K_ROOM, 'c')
  if previous and previous ~= user then redis.call('ZREM', ownedKey(previous), K_ROOM) end
  redis.call('HSET', K_ROOM, 'c', user)
  redis.call('ZADD', ownedKey(user), 0, K_ROOM)
  keepOwned(user)
end

local function deleteRoom()
  local creator = redis.call('HGET', K_ROOM, 'c')
  if creator then redis.call('ZREM', ownedKey(creator), K_ROOM) end
  redis.call('DEL', K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD)
  redis.call('ZREM', K_LIST, roomId)
  redis.call('ZREM', K_DUE, roomId)
end

-- Side effects (IM notify / destroy group) are recorded in the outbox with a
-- lease in the same atomic step; the caller performs and acknowledges them, and
-- the sweeper retries any whose lease ran out (a crash between commit and IM).
local function effect(kind)
  redis.call('ZADD', K_OUTBOX, now + lease, kind .. '|' .. roomId)
  return kind
end

-- Written before the IM group of a missing room is created: the group goes
-- unless the room comes to exist (the creating scripts remove this entry). So
-- a create_group that timed out yet succeeded, a refusal or a Redis outage
-- after it, or a crash in between never leaves a group without a room. When
-- its lease runs out the sweeper turns it into a destroy.
local function expectGroup()
  redis.call('ZADD', K_OUTBOX, now + lease, 'expect|' .. roomId)
end

-- IM calls are not ordered: a destroy_group in flight can land after a
-- create_group of the same id (which answers "exists") and leave the new room
-- without a group. So while a destroy of this id's group is recorded and its
-- lease runs (someone is performing it), the id cannot be created again: the
-- caller waits for the destroyer's acknowledgement (status BUSY). A destroy
-- whose lease ran out was abandoned by its performer: it is dropped, and the
-- new room keeps the group. Checked in every type's outbox (one IM namespace).
local function outboxOf(roomKey) return string.sub(roomKey, 1, #roomKey - #roomId - 2) .. 'outbox' end
local function outboxes() return {K_OUTBOX, outboxOf(KEYS[10]), outboxOf(KEYS[11])} end
local function destroyPending()
  for _, box in ipairs(outboxes()) do
    local leased = redis.call('ZSCORE', box, 'destroy|' .. roomId)
    if leased then
      if tonumber(leased) > now then return true end
      redis.call('ZREM', box, 'destroy|' .. roomId)
    end
  end
  return false
end

-- A room of this id now exists: no creator's group is an orphan any more.
-- Creating the room removes every type's expect entry, which is how a
-- creator learns (groupDoubtful) that another room took the id meanwhile.
local function groupExpected()
  for _, box in ipairs(outboxes()) do redis.call('ZREM', box, 'expect|' .. roomId) end
end

-- Whether the group the caller made (or found: "exists") may be gone by now:
-- a destroy is in flight, or another room took the id and ended since the
-- caller's expectGroup (it removed the entry), its destroy maybe landed after
-- the caller's create_group. The caller then makes the group again (BUSY).
local function groupDoubtful()
  return destroyPending() or not redis.call('ZSCORE', K_OUTBOX, 'expect|' .. roomId)
end

-- Creates the (inactive) room with the actor as creator, once its group is
-- trustworthy; else answers BUSY with the group's cleanup recorded again.
local function newRoom(roomInfo)
  if groupDoubtful() then
    expectGroup()
    return 'BUSY'
  end
  redis.call('HSET', K_ROOM, 'i', roomInfo, 't', now, 'a', '0')
  makeCreator(actor)
  groupExpected()
  return nil
end

-- Per seat, the room hash also holds 's:<user>' (the seat's stream id),
-- 'l:<user>' (the live platform says that stream is being pushed) and
-- 'u:<user>' ("since|deadline" of a silence kept while the stream state was unknown).

-- The one owner of "who leaves and what follows" (delete_pusher, stream
-- stopped, reaping).
local function removeSeat(user, creatorEndsRoom)
  local creator = redis.call('HGET', K_ROOM, 'c')
  if creatorEndsRoom == '1' and user == creator then
    deleteRoom()
    return effect('destroy')
  end
  redis.call('HDEL', K_PUSHERS, user)
  redis.call('ZREM', K_BEATS, user)
  redis.call('HDEL', K_ROOM, 's:' .. user, 'l:' .. user, 'u:' .. user)
  if redis.call('HLEN', K_PUSHERS) == 0 then
    deleteRoom()
    return effect('destroy')
  end
  return 'notify'
end

-- One seat leaves now (delete_pusher, a stopped stream): the others are told.
local function leave(user, creatorEndsRoom)
  local outcome = removeSeat(user, creatorEndsRoom)
  if outcome == 'notify' then
    schedule()
    touch()
    effect('notify')
  end
  return outcome
end
`;

const DETAIL = `
local function roomDetail(withAudience)
  local room = redis.call('HMGET', K_ROOM, 'i', 'c', 'm')
  local live = redis.call('ZRANGEBYSCORE', K_BEATS, '(' .. now, '+inf')
  local pushers = {}
  if #live > 0 then pushers = redis.call('HMGET', K_PUSHERS, unpack(live)) end
  local reply = {'OK', roomId, room[1] or '', room[2] or '', room[3] or '',
    redis.call('HGETALL', K_CUSTOM), pushers}
  if withAudience == '1' then reply[8] = redis.call('HLEN', K_AUD) end
  return reply
end
`;

const script = (body: string, withDetail = false) => ADMISSION + RULES + (withDetail ? DETAIL : '') + body;

export const SCRIPTS = {
  /** Session and quotas only (get_push_url, and create_room before it makes the IM group). */
  checkSession: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
return {'OK'}
`),
  },

  /**
   * create_room before its IM call: session, quota (counted here, once per
   * request), a taken id, the caller's open rooms and a destroy in flight are
   * settled first, so a refused caller makes no IM group; then the group's
   * cleanup is recorded (see expectGroup). arg(1) rooms per user.
   */
  prepareCreate: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if idTaken() then return {'EXISTS'} end
if overRoomQuota(arg(1)) then return {'ROOM_QUOTA'} end
if destroyPending() then return {'BUSY'} end
expectGroup()
reserveRoom()
return {'OK'}
`),
  },

  /** arg(1) roomInfo, arg(2) rooms per user. */
  createRoom: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if idTaken() then
  dropReservation()
  return {'EXISTS'}
end
if overRoomQuota(arg(2)) then return {'ROOM_QUOTA'} end
local busy = newRoom(arg(1))
if busy then return {busy} end
schedule()
touch()
return {'OK'}
`),
  },

  /**
   * add_pusher. arg(1) pusher JSON, arg(2) max seats, arg(3) create when
   * missing ('1' only after the IM group exists), arg(4) roomInfo,
   * arg(5) the caller's mixed-stream play URL (kept if the caller is creator),
   * arg(6) rooms per user (a caller creating the room must be under it),
   * arg(7) the stream's record key, arg(8) stream id, arg(9) record TTL (ms).
   */
  joinRoom: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
local created = 0
if redis.call('EXISTS', K_ROOM) == 0 then
  if idUsedByOtherType() then return {'EXISTS'} end
  if overRoomQuota(arg(6)) then return {'ROOM_QUOTA'} end
  if arg(3) ~= '1' then
    if destroyPending() then return {'BUSY'} end
    expectGroup() -- the caller creates the IM group next
    reserveRoom()
    return {'NO_ROOM'}
  end
  local busy = newRoom(arg(4))
  if busy then return {busy} end
  created = 1
else
  dropReservation()
end
if not isLiveSeat(actor) and liveSeatCount() >= tonumber(arg(2)) then return {'FULL'} end
-- Creator rights belong to someone who entered: a room created under an id
-- but never entered by its creator goes to its first pusher (no squatting).
if redis.call('HGET', K_ROOM, 'a') ~= '1' and redis.call('HGET', K_ROOM, 'c') ~= actor then makeCreator(actor) end
redis.call('HSET', K_PUSHERS, actor, arg(1))
redis.call('ZADD', K_BEATS, now + hbTimeout, actor)
if redis.call('HGET', K_ROOM, 'c') == actor then redis.call('HSET', K_ROOM, 'm', arg(5)) end
-- The stream's record leads push/stop callbacks to this seat; a push that
-- began before the seat was taken counts as live at once.
local streamKey, streamId = arg(7), arg(8)
if redis.call('HGET', K_ROOM, 's:' .. actor) ~= streamId then
  redis.call('HSET', K_ROOM, 's:' .. actor, streamId)
  redis.call('HDEL', K_ROOM, 'l:' .. actor, 'u:' .. actor)
end
redis.call('HSET', streamKey, 'base', string.sub(K_LIST, 1, -5), 'room', roomId, 'user', actor)
redis.call('PEXPIRE', streamKey, tonumber(arg(9)))
local pushing = redis.call('HGET', streamKey, 'live')
if pushing then redis.call('HSET', K_ROOM, 'l:' .. actor, pushing) end
if redis.call('HGET', K_ROOM, 'a') ~= '1' then
  redis.call('HSET', K_ROOM, 'a', '1')
  redis.call('ZADD', K_LIST, tonumber(redis.call('HGET', K_ROOM, 't')), roomId)
end
schedule()
touch()
-- The first pusher of a new room has nobody to tell.
if created == 1 then return {'OK', created, ''} end
return {'OK', created, effect('notify')}
`),
  },

  /** delete_pusher. arg(1) creator ends room ('1'/'0'). */
  leaveRoom: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if redis.call('HEXISTS', K_PUSHERS, actor) == 0 then return {'NOT_MEMBER'} end
return {'OK', leave(actor, arg(1))}
`),
  },

  heartbeat: {
    keys: 11,
    // The hot path, kept lean: only the admission checks, not the full rule set.
    lua:
      ADMISSION +
      `
local refused = admit()
if refused then return {refused} end
local deadline = redis.call('ZSCORE', K_BEATS, actor)
if not deadline or tonumber(deadline) <= now then return {'NOT_MEMBER'} end
redis.call('ZADD', K_BEATS, now + hbTimeout, actor)
-- A live seat implies an entered room, whose next deadline is its earliest heartbeat.
local first = redis.call('ZRANGE', K_BEATS, 0, 0, 'WITHSCORES')
redis.call('ZADD', K_DUE, first[2], roomId)
-- Refreshing five key TTLs was most of a beat's cost; doing it once half the
-- backstop has run keeps the same bound on how long a dead room's keys live.
if redis.call('PTTL', K_ROOM) < backstop / 2 then
  for _, key in ipairs({K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD}) do redis.call('PEXPIRE', key, backstop) end
  local creator = redis.call('HGET', K_ROOM, 'c')
  if creator then keepOwned(creator) end
end
return {'OK'}
`,
  },

  destroyRoom: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
local creator = redis.call('HGET', K_ROOM, 'c')
if not creator then return {'NO_ROOM'} end
if creator ~= actor then return {'NOT_CREATOR'} end
deleteRoom()
return {'OK', effect('destroy')}
`),
  },

  /**
   * get_pushers / get_custom_info. arg(1) include audience count.
   * A room created but never entered, or whose seats all timed out, reads as missing.
   */
  getRoom: {
    keys: 11,
    lua: script(
      `
local refused = admit()
if refused then return {refused} end
if redis.call('HGET', K_ROOM, 'a') ~= '1' or liveSeatCount() == 0 then return {'NO_ROOM'} end
return roomDetail(arg(1))
`,
      true,
    ),
  },

  /**
   * get_room_list: one page of the creation-ordered list. arg(1) offset,
   * arg(2) count, arg(3) key base of the partition, arg(4) audience count.
   * Entries of rooms that no longer exist (expired by TTL) are dropped here.
   */
  listRooms: {
    keys: 11,
    lua: script(
      `
local refused = admit()
if refused then return {refused} end
local offset, count, base = tonumber(arg(1)), tonumber(arg(2)), arg(3)
local ids = redis.call('ZRANGE', K_LIST, offset, offset + count - 1)
local rooms = {}
for _, id in ipairs(ids) do
  roomId = id
  K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD = base .. 'r:' .. id, base .. 'p:' .. id, base .. 'b:' .. id, base .. 'c:' .. id, base .. 'a:' .. id
  if redis.call('EXISTS', K_ROOM) == 0 then
    redis.call('ZREM', K_LIST, id)
  elseif liveSeatCount() > 0 then
    local detail = roomDetail(arg(4))
    table.remove(detail, 1)
    rooms[#rooms + 1] = detail
  end
end
return {'OK', rooms}
`,
      true,
    ),
  },

  /**
   * set_custom_field: only a pusher of the room (a live seat) writes, within
   * the caps on fields and bytes (names + values) per room. arg(1) field,
   * arg(2) op (inc/dec/set), arg(3) JSON value for set, arg(4) max fields,
   * arg(5) max bytes, arg(6) the client's opID ('' = none): a repeated opID
   * of this caller is answered with its first result and not applied again,
   * arg(7) signed step for inc/dec.
   * Reply: {'OK', field, stored JSON value}.
   */
  customField: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if redis.call('HGET', K_ROOM, 'a') ~= '1' then return {'NO_ROOM'} end
if not isLiveSeat(actor) then return {'NOT_MEMBER'} end
local field, op = arg(1), arg(2)
local opKey = nil
if arg(6) ~= '' then
  opKey = K_CUSTOM .. '|op|' .. actor .. '|' .. arg(6)
  local done = redis.call('GET', opKey)
  if done then return {'OK', field, done} end
end
local old = redis.call('HGET', K_CUSTOM, field)
local value = arg(3)
if op ~= 'set' then
  local current = tonumber(old or '0')
  -- Past 2^53 doubles stop being exact integers (and %d wraps): not a counter.
  if current == nil or current ~= math.floor(current) or math.abs(current) >= 9007199254740991 then return {'NOT_INT'} end
  local result = current + tonumber(arg(7))
  if math.abs(result) >= 9007199254740991 then return {'NOT_INT'} end
  value = string.format('%d', result)
end
if not old and redis.call('HLEN', K_CUSTOM) >= tonumber(arg(4)) then return {'CUSTOM_FIELDS', arg(4)} end
local bytes = #field + #value
local flat = redis.call('HGETALL', K_CUSTOM)
for i = 1, #flat, 2 do
  if flat[i] ~= field then bytes = bytes + #flat[i] + #flat[i + 1] end
end
if bytes > tonumber(arg(5)) then return {'CUSTOM_BYTES', arg(5)} end
redis.call('HSET', K_CUSTOM, field, value)
if opKey then redis.call('SET', opKey, value, 'PX', backstop) end
touch()
return {'OK', field, value}
`),
  },

  /** add_audience / delete_audience. arg(1) op add/remove, arg(2) userInfo, arg(3) list cap, arg(4) '1': keep a stored userInfo. */
  audience: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if redis.call('HGET', K_ROOM, 'a') ~= '1' then return {'NO_ROOM'} end
if arg(1) == 'remove' then
  redis.call('HDEL', K_AUD, actor)
  return {'OK'}
end
if redis.call('HEXISTS', K_AUD, actor) == 0 and redis.call('HLEN', K_AUD) >= tonumber(arg(3)) then
  return {'AUD_FULL'}
end
if arg(4) ~= '1' or redis.call('HEXISTS', K_AUD, actor) == 0 then redis.call('HSET', K_AUD, actor, arg(2)) end
touch()
return {'OK'}
`),
  },

  getAudiences: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if redis.call('HGET', K_ROOM, 'a') ~= '1' then return {'NO_ROOM'} end
return {'OK', redis.call('HGETALL', K_AUD)}
`),
  },

  /**
   * Sweeper: reaps rooms whose deadline passed and claims outbox effects whose
   * lease ran out. KEYS: 7 list, 8 deadline index, 9 outbox (others unused).
   * arg(1) batch size, arg(2) key base, arg(3) creator ends room,
   * arg(4) the stream state API's verdicts on overdue seats (comma list of
   * "room|user=live" or "room|user=unknown"), arg(5) key bases of all room
   * types (comma list), arg(6) seats per room, arg(7) longest silence kept
   * on 'unknown' (ms).
   * Reply: {'OK', effects (kind|roomID ...), more due (0/1)}.
   */
  reapDue: {
    keys: 11,
    lua: script(`
local batch, base, creatorEnds = tonumber(arg(1)), arg(2), arg(3)
local maxSeats, maxUnknown = tonumber(arg(6)), tonumber(arg(7))
local verdicts = {}
for item in string.gmatch(arg(4) or '', '[^,]+') do
  local seat, verdict = string.match(item, '^(.*)=(%a+)$')
  if seat then verdicts[seat] = verdict end
end
-- A silent seat is kept while its stream is known to be up (a push callback,
-- or the stream state API), or while that API fails, for at most maxUnknown
-- from the first such answer; and only while the room stays within its
-- seats: a seat someone else took meanwhile is never handed back.
local function keepSilent(id, user)
  local why = verdicts[id .. '|' .. user]
  if redis.call('HEXISTS', K_ROOM, 'l:' .. user) == 1 then why = 'live' end
  if not why or liveSeatCount() >= maxSeats then return false end
  local deadline = now + hbTimeout
  if why == 'unknown' then
    local since = now
    local mark = redis.call('HGET', K_ROOM, 'u:' .. user)
    if mark then
      local first, setDeadline = string.match(mark, '^([^|]+)|(.+)$')
      -- The same silence: no heartbeat moved the deadline the last keep set.
      if tonumber(setDeadline) == tonumber(redis.call('ZSCORE', K_BEATS, user)) then since = tonumber(first) end
    end
    if now - since >= maxUnknown then return false end
    redis.call('HSET', K_ROOM, 'u:' .. user, since .. '|' .. deadline)
  else
    redis.call('HDEL', K_ROOM, 'u:' .. user)
  end
  redis.call('ZADD', K_BEATS, deadline, user)
  return true
end
-- A group may only be destroyed while no room of any type uses its id.
local function groupInUse(id)
  for typeBase in string.gmatch(arg(5), '[^,]+') do
    if redis.call('EXISTS', typeBase .. 'r:' .. id) == 1 then return true end
  end
  return false
end
local effects = {}
local due = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(due) do
  roomId = id
  K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD = base .. 'r:' .. id, base .. 'p:' .. id, base .. 'b:' .. id, base .. 'c:' .. id, base .. 'a:' .. id
  if redis.call('EXISTS', K_ROOM) == 0 then
    -- The keys expired by TTL (nothing reaped the room in time): its group is still there.
    redis.call('ZREM', K_DUE, id)
    redis.call('ZREM', K_LIST, id)
    if not groupInUse(id) then effects[#effects + 1] = effect('destroy') .. '|' .. id end
  elseif redis.call('HGET', K_ROOM, 'a') ~= '1' then
    -- Created, never entered, idle deadline passed (schedule() put it here).
    deleteRoom()
    effects[#effects + 1] = effect('destroy') .. '|' .. id
  else
    local outcome = nil
    for _, user in ipairs(redis.call('ZRANGEBYSCORE', K_BEATS, '-inf', now)) do
      if not keepSilent(id, user) then
        outcome = removeSeat(user, creatorEnds)
        if outcome == 'destroy' then break end
      end
    end
    if outcome == 'destroy' then
      effects[#effects + 1] = 'destroy|' .. id
    else
      if redis.call('HLEN', K_PUSHERS) == 0 then
        deleteRoom()
        effects[#effects + 1] = effect('destroy') .. '|' .. id
      else
        schedule()
        touch()
        if outcome == 'notify' then effects[#effects + 1] = effect('notify') .. '|' .. id end
      end
    end
  end
end
-- Effects whose lease ran out: a request or sweeper died before acknowledging.
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', K_OUTBOX, '-inf', now, 'LIMIT', 0, batch)) do
  local kind, id = string.match(entry, '^([^|]+)|(.*)$')
  roomId = id
  if kind ~= 'notify' and groupInUse(id) then
    -- The room id was taken again; destroying its group now would break the new room.
    redis.call('ZREM', K_OUTBOX, entry)
  elseif kind == 'expect' then
    -- A creator made (or may have made) the group and no room came of it.
    redis.call('ZREM', K_OUTBOX, entry)
    effects[#effects + 1] = effect('destroy') .. '|' .. id
  else
    redis.call('ZADD', K_OUTBOX, now + lease, entry)
    effects[#effects + 1] = entry
  end
end
local more = redis.call('ZCOUNT', K_DUE, '-inf', now) > 0 and 1 or 0
return {'OK', effects, more}
`),
  },

  /**
   * A push (arg(4) '1') or stop ('0') callback of the live platform; no
   * session: the caller checked the callback's signature. arg(1) the stream's
   * record key, arg(2) stream id, arg(3) sequence (one push's start and stop
   * share it), arg(5) event time (s), arg(6) record TTL (ms), arg(7) per room
   * type "base|heartbeat|idle|backstop|creatorEnds" (comma list).
   * Reply: {'OK', outcome, base, roomID, effect}; outcome 'duplicate',
   * 'stale' (older than what the record already knows), 'recorded' (no seat
   * has this stream), 'live' or 'removed'.
   */
  streamEvent: {
    keys: 11,
    lua: script(`
local sk, streamId, seq, ev, at = arg(1), arg(2), arg(3), arg(4), tonumber(arg(5))
local seen = 'd:' .. seq .. ':' .. ev
if redis.call('HEXISTS', sk, seen) == 1 then return {'OK', 'duplicate'} end
redis.call('HSET', sk, seen, '1')
redis.call('PEXPIRE', sk, tonumber(arg(6)))
-- HGET, not HMGET: the embedded store's HMGET answers a truthy null for a missing field.
local rec = {}
for i, field in ipairs({'live', 'startAt', 'stopAt', 'base', 'room', 'user'}) do rec[i] = redis.call('HGET', sk, field) end
if ev == '1' then
  -- A start whose own stop was handled, or older than the last stop, is a late retry.
  if redis.call('HEXISTS', sk, 'd:' .. seq .. ':0') == 1 or (rec[3] and at < tonumber(rec[3])) then return {'OK', 'stale'} end
  redis.call('HSET', sk, 'live', seq, 'startAt', at)
else
  -- A stop older than a later start of this stream ended an earlier push.
  if rec[1] and rec[1] ~= seq and tonumber(rec[2]) >= at then return {'OK', 'stale'} end
  redis.call('HDEL', sk, 'live')
  redis.call('HSET', sk, 'stopAt', at)
end
local base, user, creatorEnds = rec[4], rec[6], nil
if not base then return {'OK', 'recorded'} end
for item in string.gmatch(arg(7), '[^,]+') do
  local b, hb, idle, bs, ce = string.match(item, '^([^|]+)|([^|]+)|([^|]+)|([^|]+)|([^|]+)$')
  if b == base then hbTimeout, idleTimeout, backstop, creatorEnds = tonumber(hb), tonumber(idle), tonumber(bs), ce end
end
if not creatorEnds then return {'OK', 'recorded'} end
roomId = rec[5]
K_ROOM, K_PUSHERS, K_BEATS, K_CUSTOM, K_AUD = base .. 'r:' .. roomId, base .. 'p:' .. roomId, base .. 'b:' .. roomId, base .. 'c:' .. roomId, base .. 'a:' .. roomId
K_LIST, K_DUE, K_OUTBOX = base .. 'list', base .. 'due', base .. 'outbox'
-- The record may outlive the seat: only a seat whose current stream this is counts.
if redis.call('HGET', K_ROOM, 's:' .. user) ~= streamId or redis.call('HEXISTS', K_PUSHERS, user) == 0 then return {'OK', 'recorded'} end
if ev == '1' then
  redis.call('HSET', K_ROOM, 'l:' .. user, seq)
  return {'OK', 'live', base, roomId, ''}
end
return {'OK', 'removed', base, roomId, leave(user, creatorEnds)}
`),
  },

  /** merge_stream: the room's creator and its live seats (userID, seat JSON). */
  roomSeats: {
    keys: 11,
    lua: script(`
local refused = admit()
if refused then return {refused} end
if redis.call('HGET', K_ROOM, 'a') ~= '1' or liveSeatCount() == 0 then return {'NO_ROOM'} end
local live = redis.call('ZRANGEBYSCORE', K_BEATS, '(' .. now, '+inf')
return {'OK', redis.call('HGET', K_ROOM, 'c'), live, redis.call('HMGET', K_PUSHERS, unpack(live))}
`),
  },

  /** Pushers whose heartbeat is overdue in due rooms (for the optional live-stream check). KEYS 8 due. arg(1) batch, arg(2) base. */
  overdueSeats: {
    keys: 11,
    lua: script(`
local batch, base = tonumber(arg(1)), arg(2)
local seats = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DUE, '-inf', now, 'LIMIT', 0, batch)) do
  local kb = base .. 'b:' .. id
  for _, user in ipairs(redis.call('ZRANGEBYSCORE', kb, '-inf', now)) do
    seats[#seats + 1] = id
    seats[#seats + 1] = user
    seats[#seats + 1] = redis.call('HGET', base .. 'p:' .. id, user) or ''
  end
end
return seats
`),
  },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
