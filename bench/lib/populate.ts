/**
 * Writes rooms straight into Redis with pipelines, mirroring what the room
 * scripts (shared/rooms/scripts.ts) leave behind for an entered room:
 *   r:<id>  hash {c creator, i roomInfo, t created ms, a '1', m mixed play URL}
 *   p:<id>  hash userID -> seat JSON {userID, userName, userAvatar, accelerateURL, streamID}
 *   b:<id>  zset userID -> heartbeat deadline (ms)
 *   list    zset roomID -> created ms          (entered rooms only)
 *   due     zset roomID -> earliest deadline   (schedule())
 * and PEXPIRE on the room keys as touch() does. `checkShape` compares a room
 * made this way with one made through the handlers, so a change of the layout
 * makes the bench fail loudly instead of measuring something unrealistic.
 */
import type Redis from 'ioredis';
import type { RoomType } from '../../shared/config';
import { roomKeys } from '../../shared/rooms/keys';
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

function seatFor(rt: Runtime, userId: string) {
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

/** Writes rooms in pipelines of `chunk` rooms; `createdBase + index` is each room's creation time. */
export async function writeRooms(
  client: Redis,
  rt: Runtime,
  type: RoomType,
  specs: Iterable<RoomSpec>,
  createdBase: number,
  options: { replace?: boolean; chunk?: number } = {},
): Promise<number> {
  const prefix = rt.config.keyPrefix;
  const chunk = options.chunk ?? 1000;
  let pipeline = client.pipeline();
  let inPipeline = 0;
  let written = 0;
  for (const spec of specs) {
    const id = roomIdAt(spec.index);
    const k = roomKeys(prefix, type, id, '-');
    const count = pushersAt(spec.index);
    const seats: string[] = [];
    const beats: (string | number)[] = [];
    let mixed = '';
    let earliest = Infinity;
    for (let s = 0; s < count; s++) {
      const user = userAt(spec.index, s);
      const made = seatFor(rt, user);
      if (s === 0) mixed = made.mixed;
      seats.push(user, made.seat);
      const deadline = s < (spec.overdueSeats ?? 0) ? spec.overdueAt! : spec.deadline;
      earliest = Math.min(earliest, deadline);
      beats.push(deadline, user);
    }
    const created = createdBase + spec.index;
    const ttl = Math.max(spec.deadline - Date.now(), 1000) + BACKSTOP_GRACE_MS;
    if (options.replace) pipeline.del(k.room, k.pushers, k.beats);
    pipeline.hset(k.room, 'c', userAt(spec.index, 0), 'i', `{"title":"bench room ${spec.index}","cover":"https://example.com/c/${spec.index}.png"}`, 't', created, 'a', '1', 'm', mixed);
    pipeline.hset(k.pushers, ...seats);
    pipeline.zadd(k.beats, ...beats);
    pipeline.zadd(k.list, created, id);
    pipeline.zadd(k.due, earliest, id);
    pipeline.pexpire(k.room, ttl);
    pipeline.pexpire(k.pushers, ttl);
    pipeline.pexpire(k.beats, ttl);
    written++;
    if (++inPipeline >= chunk) {
      await pipeline.exec();
      pipeline = client.pipeline();
      inPipeline = 0;
    }
  }
  if (inPipeline > 0) await pipeline.exec();
  return written;
}

export function* range(from: number, to: number, spec: (i: number) => RoomSpec): Generator<RoomSpec> {
  for (let i = from; i < to; i++) yield spec(i);
}

/** Key suffixes, Redis types and hash fields of one room, to compare layouts. */
export async function roomShape(client: Redis, prefix: string, type: RoomType, roomId: string): Promise<Record<string, string>> {
  const k = roomKeys(prefix, type, roomId, '-');
  const shape: Record<string, string> = {};
  for (const [name, key] of Object.entries({ room: k.room, pushers: k.pushers, beats: k.beats })) {
    const kind = await client.type(key);
    shape[name] = kind;
    if (name === 'room' && kind === 'hash') shape.roomFields = (await client.hkeys(key)).sort().join(',');
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
