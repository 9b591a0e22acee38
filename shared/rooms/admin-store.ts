/**
 * The admin API's calls on room state: the same Lua scripts discipline as the
 * room store (one script per step, the common ARGV of helpers/admission), run
 * for no caller. Kick and dismiss reuse the rules of delete_pusher and
 * destroy_room (helpers/rules `leave`, `deleteRoom`); the caller performs the
 * effect they answer, like any room change.
 */
import { ROOM_TYPES, WEBRTC_ROOM, type RoomType } from '../config';
import { AppError, Code } from '../errors';
import { allPartitions, eventCountKey, eventLogKey, keysFor, partitionBase, partitionOf, roomKeys, roomPartitions, roomSeqKey, serviceBanKey, SERVICE_EVENTS } from './keys';
import { storeCall } from '../redis';
import { customJson, RoomStore, type Effect, type PendingEffect, type Seat } from './store';

/** Rooms one banEvict call looks at (each a few O(1) reads): bounds how long one script holds Redis. */
const BAN_WALK_ROOMS = 500;

export interface AdminRoomSummary {
  roomType: RoomType;
  roomID: string;
  roomInfo: string;
  creator: string;
  createdAt: number;
  /** Seats with a heartbeat deadline in the future. */
  pushers: number;
  audience: number;
  /** The room's last event sequence number (its events in the log: GET /admin/events?room=). */
  seq: number;
}

/** Where a page of the room list ends: the last room's type, creation time (list score) and id. */
export interface RoomCursor {
  type: RoomType;
  score: string;
  roomId: string;
}

export interface AdminSeat {
  userID: string;
  userName: string;
  userAvatar: string;
  streamID: string;
  /** Since the seat's last heartbeat (or join), ms. */
  heartbeatAgeMs: number;
  /** Its heartbeat deadline is still ahead (listings show only these). */
  live: boolean;
  /** The live platform reported its stream pushed (stream callbacks). */
  pushing: boolean;
}

export interface AdminRoomSnapshot {
  roomType: RoomType;
  roomID: string;
  roomInfo: string;
  creator: string;
  createdAt: number;
  /** A pusher entered (rooms nobody entered yet are reclaimed after ROOM_IDLE_TIMEOUT). */
  entered: boolean;
  /** The room's last event sequence number, read in the same step as the rest. */
  seq: number;
  pushers: AdminSeat[];
  audienceCount: number;
  custom: Record<string, unknown>;
  imGroup: { groupID: string; state: 'active' | 'destroying'; noticePending: boolean };
}

export interface Ban {
  userID: string;
  /** `service`, or `<roomType>/<roomID>`. */
  scope: string;
  /** End of the ban, ms. */
  until: number;
}

const notFound = () => new AppError(Code.ROOM_NOT_FOUND, 'room does not exist', 404);

export class AdminStore extends RoomStore {
  /** Rooms one banEvict call looks at (tests lower it to walk many pages). */
  banWalkRooms = BAN_WALK_ROOMS;

  /** A page of rooms: `types` in walk order (the cursor's first). */
  async roomPage(types: readonly RoomType[], limit: number, after?: RoomCursor): Promise<{ rooms: AdminRoomSummary[]; next?: RoomCursor }> {
    // Every partition walks the same types from the same cursor; each answers
    // its first `limit` rooms after it in (type, creation time, id) order, so
    // the merged first `limit` are the page: O(N x page).
    const parts = await Promise.all(allPartitions().map((p) => this.roomPagePart(p, types, limit, after)));
    let rooms = parts.flatMap((part) => part.rooms);
    let more = parts.some((part) => part.more === 1) ? 1 : 0;
    if (parts.length > 1) {
      const typeIndex = (row: unknown[]) => types.indexOf(row[0] as RoomType);
      rooms.sort((a, b) => typeIndex(a) - typeIndex(b) || Number(a[7]) - Number(b[7]) || (String(a[1]) < String(b[1]) ? -1 : String(a[1]) > String(b[1]) ? 1 : 0));
      if (rooms.length > limit) more = 1;
      rooms = rooms.slice(0, limit);
    }
    const page = rooms.map(([type, id, info, creator, createdAt, pushers, audience, score, seq]) => ({
      summary: {
        roomType: type as RoomType,
        roomID: String(id),
        roomInfo: String(info),
        creator: String(creator),
        createdAt: Number(createdAt),
        pushers: Number(pushers),
        audience: Number(audience),
        seq: Number(seq),
      },
      score: String(score),
    }));
    const last = page.at(-1);
    return {
      rooms: page.map((p) => p.summary),
      next: more === 1 && last ? { type: last.summary.roomType, score: last.score, roomId: last.summary.roomID } : undefined,
    };
  }

  private async roomPagePart(p: number, types: readonly RoomType[], limit: number, after?: RoomCursor): Promise<{ rooms: unknown[][]; more: number }> {
    const walk = types.map((t) => `${t}=${partitionBase(this.prefix, t, p)}`).join(',');
    const [rooms, more] = (await this.room('adminRooms', undefined, types[0]!, '-', [limit, walk, after?.score ?? '', after?.roomId ?? ''], { partition: p })) as [unknown[][], number];
    return { rooms, more };
  }

  async snapshot(type: RoomType, roomId: string): Promise<AdminRoomSnapshot> {
    const [status, ...rest] = await this.run('adminRoom', undefined, type, roomId, []);
    if (status === 'NO_ROOM') throw notFound();
    const [info, creator, createdAt, entered, seats, custom, audience, group, notice, seq] = rest as [string, string, string, string, string[], string[], number, string, number, number];
    const now = this.now();
    const heartbeatMs = this.limits[type].heartbeatTimeoutMs;
    const pushers: AdminSeat[] = [];
    for (let i = 0; i + 3 < seats.length; i += 4) {
      const seat = JSON.parse(seats[i + 1]!) as Seat;
      const deadline = Number(seats[i + 2]);
      pushers.push({
        userID: seats[i]!,
        // A room type's seat may lack some of these (a TRTC member has no stream).
        userName: seat.userName ?? '',
        userAvatar: seat.userAvatar ?? '',
        streamID: seat.streamID ?? '',
        // The deadline is the last heartbeat plus the timeout.
        heartbeatAgeMs: Math.max(0, now - (deadline - heartbeatMs)),
        live: deadline > now,
        pushing: seats[i + 3] === '1',
      });
    }
    // Hash order is not stable across stores: by user id.
    pushers.sort((a, b) => (a.userID < b.userID ? -1 : a.userID > b.userID ? 1 : 0));
    return {
      roomType: type,
      roomID: roomId,
      roomInfo: String(info),
      creator: String(creator),
      createdAt: Number(createdAt),
      entered: entered === '1',
      seq: Number(seq),
      pushers,
      audienceCount: Number(audience),
      custom: JSON.parse(customJson(custom)) as Record<string, unknown>,
      imGroup: { groupID: roomId, state: group as 'active' | 'destroying', noticePending: notice === 1 },
    };
  }

  async kick(type: RoomType, roomId: string, userId: string): Promise<Effect> {
    const [status, effect] = await this.run('adminKick', undefined, type, roomId, [userId, this.limits[type].creatorEndsRoom ? '1' : '0', type === WEBRTC_ROOM ? '1' : '0']);
    if (status === 'NO_ROOM') throw notFound();
    if (status === 'NOT_MEMBER') throw new AppError(Code.NOT_A_MEMBER, `${userId} is not a pusher of this room`, 409);
    return effect as Effect;
  }

  async dismiss(type: RoomType, roomId: string): Promise<Effect> {
    const [status, effect] = await this.run('adminDismiss', undefined, type, roomId, []);
    if (status === 'NO_ROOM') throw notFound();
    return effect as Effect;
  }

  async setRoomInfo(type: RoomType, roomId: string, roomInfo: string): Promise<Effect | undefined> {
    const [status, effect] = await this.run('adminInfo', undefined, type, roomId, [roomInfo]);
    if (status === 'NO_ROOM') throw notFound();
    return (effect || undefined) as Effect | undefined;
  }

  /**
   * Bans `userId` until `until` (ms) from the service, or from one room; its
   * admin_ban event in the same step. The ban takes effect at once: the
   * user's seats and audience places in its scope go (pusher_left /
   * audience_left reason `banned`); answers the effects the caller performs
   * (notices, TRTC removals, ended rooms), like a kick's. A room ban evicts
   * in its own script; a service ban, once set in every partition (no join
   * can seat the user any more), walks every partition's rooms (banEvict).
   */
  async ban(userId: string, until: number, room?: { type: RoomType; roomId: string }): Promise<{ ban: Ban; effects: PendingEffect[] }> {
    const scope = room ? `${room.type}/${room.roomId}` : 'service';
    // A service ban with N > 1 partitions: a copy in every other partition
    // first (each join script checks its own), then partition 0's script,
    // which indexes it and appends its one event.
    if (!room) await this.inOtherPartitions((p) => this.redis.set(serviceBanKey(this.prefix, userId, p), String(until), 'PX', Math.max(1, until - this.now())));
    const [, , evicted] = await this.banScript(userId, room, ['set', userId, scope, until]);
    const effects: PendingEffect[] = [];
    if (room && evicted) effects.push({ type: room.type, roomId: room.roomId, effect: evicted as Effect, userId });
    if (!room) for (const p of allPartitions()) effects.push(...(await this.evictEverywhere(userId, p)));
    return { ban: { userID: userId, scope, until }, effects };
  }

  /** A service ban's evictions in partition `p`: banEvict pages through every type's rooms. */
  private async evictEverywhere(userId: string, p: number): Promise<PendingEffect[]> {
    const types = ROOM_TYPES.map((t) => {
      const limits = this.limits[t];
      return `${t}=${partitionBase(this.prefix, t, p)}|${limits.idleTimeoutMs}|${this.backstopMs(t)}|${limits.creatorEndsRoom ? '1' : '0'}|${t === WEBRTC_ROOM ? '1' : '0'}`;
    });
    const effects: PendingEffect[] = [];
    let cursor: [number, string, string] = [1, '', ''];
    do {
      const keys = [eventLogKey(this.prefix, p), eventCountKey(this.prefix, p)];
      const [, found, type, score, id] = (await this.call('banEvict', keys, undefined, ROOM_TYPES[0], ROOM_TYPES[0], '-', this.now(), [userId, types.join(','), ...cursor, this.banWalkRooms], { partition: p })) as [string, string[], number, string, string];
      for (let i = 0; i + 2 < found.length; i += 3) effects.push({ type: found[i] as RoomType, roomId: found[i + 1]!, effect: found[i + 2] as Effect, userId });
      cursor = [Number(type), String(score), String(id)];
    } while (cursor[0] !== 0);
    return effects;
  }

  private async inOtherPartitions(write: (p: number) => Promise<unknown>): Promise<void> {
    if (roomPartitions() === 1) return;
    await Promise.all(allPartitions().filter((p) => p !== 0).map((p) => storeCall(write(p))));
  }

  /** Lifts a ban, with its admin_unban event; answers whether there was one. */
  async unban(userId: string, room?: { type: RoomType; roomId: string }): Promise<boolean> {
    const scope = room ? `${room.type}/${room.roomId}` : 'service';
    const [, lifted] = await this.banScript(userId, room, ['lift', userId, scope, 0]);
    if (!room) await this.inOtherPartitions((p) => this.redis.del(serviceBanKey(this.prefix, userId, p)));
    return lifted === 1;
  }

  /**
   * adminBan: its keys name the subject's ban, and the event's room: the
   * banned room, or the service pseudo room (SERVICE_EVENTS, '-'), which has
   * no room hash (a key that never exists stands in, as in appendEvent).
   */
  private banScript(userId: string, room: { type: RoomType; roomId: string } | undefined, extra: (string | number)[]) {
    const p = this.prefix;
    // A room ban lives (and is indexed, and logged) in the room's partition; a service ban's script runs in partition 0.
    const partition = room ? partitionOf(room.roomId) : 0;
    const [ban, bans] = keysFor(['ban', 'bans'], { prefix: p, type: room?.type ?? ROOM_TYPES[0], roomId: room?.roomId ?? '-', now: 0, partition, subject: userId, serviceWide: !room });
    const [events, eventCount] = [eventLogKey(p, partition), eventCountKey(p, partition)];
    // A service ban evicts nothing in this script: the room keys name partition 0's lists and a room that never exists.
    const at = roomKeys(p, room?.type ?? ROOM_TYPES[0], room?.roomId ?? '-', partition);
    const seats = [at.pushers, at.beats, at.custom, at.audience, at.list, at.due, at.outbox];
    const keys = room
      ? [ban!, bans!, events, eventCount, at.room, roomSeqKey(p, room.type, room.roomId), ...seats]
      : [ban!, bans!, events, eventCount, `${roomSeqKey(p, SERVICE_EVENTS, '-')}:none`, roomSeqKey(p, SERVICE_EVENTS, '-'), ...seats.map((k) => `${k}:none`)];
    const type = room?.type ?? ROOM_TYPES[0];
    const evictArgs = [this.limits[type].creatorEndsRoom ? '1' : '0', type === WEBRTC_ROOM ? '1' : '0'];
    // The service pseudo room has no limits of its own: any type's fill the common ARGV it does not read.
    return this.call('adminBan', keys, undefined, type, room?.type ?? SERVICE_EVENTS, room?.roomId ?? '-', this.now(), [...extra, ...evictArgs], { partition });
  }

  /** Every partition's index merged, soonest end first. */
  async bans(): Promise<Ban[]> {
    const parts = await Promise.all(allPartitions().map(async (p) => ((await this.room('adminBans', undefined, ROOM_TYPES[0], '-', [], { partition: p })) as [string[]])[0]));
    const entries: [string, string][] = [];
    for (const part of parts) for (let i = 0; i + 1 < part.length; i += 2) entries.push([part[i]!, part[i + 1]!]);
    if (parts.length > 1) entries.sort((a, b) => Number(a[1]) - Number(b[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const flat = entries.flat();
    const out: Ban[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const entry = flat[i]!;
      const bar = entry.lastIndexOf('|');
      out.push({ scope: entry.slice(0, bar), userID: entry.slice(bar + 1), until: Number(flat[i + 1]) });
    }
    return out;
  }
}
