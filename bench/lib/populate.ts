/**
 * Writes rooms straight into Redis with pipelines, mirroring what the room
 * scripts (shared/rooms/lua/) leave behind for an entered room:
 *   r:<id>  hash {c creator, i roomInfo, t created ms, a '1', m mixed play URL, s:<user> stream id}
 *   p:<id>  hash userID -> seat JSON {userID, userName, userAvatar, accelerateURL, streamID}
 *   b:<id>  zset userID -> heartbeat deadline (ms)
 *   list    zset roomID -> created ms          (entered rooms only)
 *   due     zset roomID -> earliest deadline   (schedule())
 *   st:<stream> hash {base, room, user}        (the seat's stream record, 24 h TTL)
 * and PEXPIRE on the room keys as touch() does (written by a bulk Lua script). `checkShape` compares a room
 * made this way with one made through the handlers, so a change of the layout
 * makes the bench fail loudly instead of measuring something unrealistic.
 */
import type Redis from 'ioredis';
import type { RoomType } from '../../shared/config';
import { partitionBase, roomKeys, streamKey } from '../../shared/rooms/keys';
import { STREAM_RECORD_TTL_MS } from '../../shared/rooms/store';
import { liveSigning } from '../../shared/rooms/service';
import { accelerateUrl, mixedPlayUrl, parsePushUrl } from '../../shared/sign/live-urls';
import type { Runtime } from '../../shared/runtime';
import { pushUrlFor } from './bed';

const BACKSTOP_GRACE_MS = 60_000;

export const roomIdAt = (i: number) => `room_${i.toString(16).padStart(8, '0')}_be9c`;
export const pushersAt = (i: number) => 1 + (i % 4);
const userAt = (i: number, k: number) => `u${i.toString(36)}_${k}`;

export interface RoomSpec {
  index: number;
  /** Heartbeat deadline of every seat (ms since epoch). */
  deadline: number;
  /** Seats whose deadline is `overdueAt` instead (the first `overdueSeats`). */
  overdueSeats?: number;
  overdueAt?: number;
}

/**
 * Seats are made by the same functions as add_pusher (signed accelerate URL,
 * stream id), once per template user; each room's users get a copy with their
 * own id. Only the signature hex is then not theirs: same sizes, same shape.
 */
const TEMPLATE = 'u0tmpl0';
const templates = new Map<string, { seat: string; mixed: string }>();

function seatFor(rt: Runtime, userId: string) {
  const key = `${rt.config.keyPrefix}|${userId.length}`;
  let template = templates.get(key);
  if (!template) {
    template = signedSeat(rt, TEMPLATE.padEnd(userId.length, 'x'));
    templates.set(key, template);
  }
  const from = TEMPLATE.padEnd(userId.length, 'x');
  return { seat: template.seat.split(from).join(userId), mixed: template.mixed.split(from).join(userId) };
}

function signedSeat(rt: Runtime, userId: string) {
  const live = liveSigning(rt);
  const stream = parsePushUrl(live, pushUrlFor(userId));
  return {
    seat: JSON.stringify({
      userID: userId,
      userName: `User ${userId}`,
      userAvatar: `https://thirdwx.qlogo.cn/mmopen/vi_32/${userId}/132`,
      accelerateURL: accelerateUrl(live, stream.subId),
      streamID: stream.streamId,
    }),
    mixed: mixedPlayUrl(live, stream.subId),
  };
}

/**
 * Writes one batch of rooms per call, server-side (the same commands the room
 * scripts issue, without their checks): far fewer client round trips than a
 * pipeline of single commands. KEYS: list, due. ARGV: base, replace, stream
 * record key prefix, its TTL, then per room: id creator info created mixed ttl
 * seats, and per seat: user json deadline stream.
 */
const WRITE_ROOMS = `
local base, replace, streams, streamTtl = ARGV[1], ARGV[2] == '1', ARGV[3], tonumber(ARGV[4])
local i, n = 5, 0
while i <= #ARGV do
  local id, creator, info, created, mixed, ttl, seats = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], tonumber(ARGV[i+6])
  i = i + 7
  local kr, kp, kb = base .. 'r:' .. id, base .. 'p:' .. id, base .. 'b:' .. id
  if replace then redis.call('DEL', kr, kp, kb) end
  -- q: the room's last event sequence number, which every handler-made room has since the event log.
  redis.call('HSET', kr, 'c', creator, 'i', info, 't', created, 'a', '1', 'm', mixed, 'q', '1')
  local earliest, earliestText = nil, nil
  local hash, zset = {}, {}
  for _ = 1, seats do
    local user, seat, deadline, stream = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
    i = i + 4
    redis.call('HSET', kr, 's:' .. user, stream)
    redis.call('HSET', streams .. stream, 'base', base, 'room', id, 'user', user)
    redis.call('PEXPIRE', streams .. stream, streamTtl)
    hash[#hash + 1], hash[#hash + 2] = user, seat
    zset[#zset + 1], zset[#zset + 2] = deadline, user
    if earliest == nil or tonumber(deadline) < earliest then earliest, earliestText = tonumber(deadline), deadline end
  end
  redis.call('HSET', kp, unpack(hash))
  redis.call('ZADD', kb, unpack(zset))
  redis.call('ZADD', KEYS[1], created, id)
  redis.call('ZADD', KEYS[2], earliestText, id)
  redis.call('PEXPIRE', kr, ttl)
  redis.call('PEXPIRE', kp, ttl)
  redis.call('PEXPIRE', kb, ttl)
  n = n + 1
end
return n
`;

/** Writes rooms in batches of `chunk`; `createdBase + index` is each room's creation time. */
export async function writeRooms(
  client: Redis,
  rt: Runtime,
  type: RoomType,
  specs: Iterable<RoomSpec>,
  createdBase: number,
  options: { replace?: boolean; chunk?: number } = {},
): Promise<number> {
  const prefix = rt.config.keyPrefix;
  const k = roomKeys(prefix, type, '-');
  const base = partitionBase(prefix, type);
  const chunk = options.chunk ?? 500;
  let args: (string | number)[] = [];
  let inBatch = 0;
  let written = 0;
  // One batch in flight while the next is built: Redis and Node work in parallel.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (inBatch === 0) return;
    const batch = args;
    args = [];
    inBatch = 0;
    await inFlight;
    inFlight = client.eval(WRITE_ROOMS, 2, k.list, k.due, base, options.replace ? '1' : '0', streamKey(prefix, ''), STREAM_RECORD_TTL_MS, ...batch).then((n) => {
      written += Number(n);
    });
  };
  for (const spec of specs) {
    const count = pushersAt(spec.index);
    const creator = userAt(spec.index, 0);
    const seats: (string | number)[] = [];
    let mixed = '';
    for (let s = 0; s < count; s++) {
      const user = userAt(spec.index, s);
      const made = seatFor(rt, user);
      if (s === 0) mixed = made.mixed;
      seats.push(user, made.seat, s < (spec.overdueSeats ?? 0) ? spec.overdueAt! : spec.deadline, (JSON.parse(made.seat) as { streamID: string }).streamID);
    }
    const ttl = Math.max(spec.deadline - Date.now(), 1000) + BACKSTOP_GRACE_MS;
    const info = `{"title":"bench room ${spec.index}","cover":"https://example.com/c/${spec.index}.png"}`;
    args.push(roomIdAt(spec.index), creator, info, createdBase + spec.index, mixed, ttl, count, ...seats);
    if (++inBatch >= chunk) await flush();
  }
  await flush();
  await inFlight;
  return written;
}

export function* range(from: number, to: number, spec: (i: number) => RoomSpec): Generator<RoomSpec> {
  for (let i = from; i < to; i++) yield spec(i);
}

/** Key suffixes, Redis types and hash fields of one room, to compare layouts. */
export async function roomShape(client: Redis, prefix: string, type: RoomType, roomId: string): Promise<Record<string, string>> {
  const k = roomKeys(prefix, type, roomId);
  const shape: Record<string, string> = {};
  for (const [name, key] of Object.entries({ room: k.room, pushers: k.pushers, beats: k.beats })) {
    const kind = await client.type(key);
    shape[name] = kind;
    // Per-seat fields ('s:<user>' ...) compare by kind, not by user name.
    if (name === 'room' && kind === 'hash') shape.roomFields = (await client.hkeys(key)).map((f) => f.replace(/^(\w):.*$/, '$1:<user>')).sort().join(',');
    if (name === 'pushers' && kind === 'hash') {
      const first = Object.values(await client.hgetall(key))[0];
      shape.seatFields = first ? Object.keys(JSON.parse(first) as object).sort().join(',') : '';
    }
    shape[`${name}Ttl`] = (await client.pttl(key)) > 0 ? 'ttl' : 'no-ttl';
  }
  shape.inList = (await client.zscore(k.list, roomId)) !== null ? 'yes' : 'no';
  shape.inDue = (await client.zscore(k.due, roomId)) !== null ? 'yes' : 'no';
  return shape;
}
