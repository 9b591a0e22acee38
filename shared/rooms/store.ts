/**
 * The room store: typed calls over the Lua scripts of lua/ (scripts.ts). It owns the
 * mapping from script outcomes to protocol codes; the rules themselves live
 * in the scripts, once.
 */
import { ROOM_TYPES, WEBRTC_ROOM, type RoomLimits, type RoomType } from '../config';
import { AppError, Code, authFailed } from '../errors';
import type { Actor } from '../auth/token';
import { storeCall, type RedisClient } from '../redis';
import { SERVICE_EVENTS, allPartitions, homeRoomsKey, eventCountKey, eventLogKey, keysFor, ownedRoomsBase, partitionBase, partitionOf, roomKeys, roomPartitions, roomSeqKey, serviceBanKey } from './keys';
import type { TrtcEvent } from '../trtc/callback';
import { SCRIPTS, type ScriptName } from './scripts';
import { crc16Slot } from './crc16';

/**
 * What follows a change outside Redis: for the stream types IM notices
 * (`notify`) and group destruction (`destroy`); for webrtc_room `destroy`
 * dismisses the TRTC room and `remove` takes one evicted member out of it
 * (`notify` has nothing to do there: TRTC tells the members itself).
 */
export type Effect = 'notify' | 'destroy' | 'remove';

/** Why a pusher left (pusher_left's reason). delete_pusher: 'left'; the admin plane's kick: 'kicked'. */
export type PusherLeftReason = 'left' | 'heartbeat_timeout' | 'stream_stopped' | 'kicked' | 'banned' | 'room_ended';
/** Why a room finished (room_finished's reason). destroy_room: 'destroyed'; the admin plane's dismiss: 'admin'. */
export type RoomFinishedReason = 'last_left' | 'creator_left' | 'idle' | 'destroyed' | 'admin';

/**
 * The event log's bounds: EVENT_LOG_MAX_LEN / EVENT_LOG_MAX_AGE_SECONDS for
 * events every webhook receiver has, EVENT_LOG_HARD_MAX_LEN while one is
 * behind (helpers/events.lua trimLog).
 */
export interface EventLogBounds {
  maxLength: number;
  maxAgeMs: number;
  hardMaxLength: number;
}
export const DEFAULT_EVENT_LOG: EventLogBounds = { maxLength: 100_000, maxAgeMs: 3 * 24 * 3600_000, hardMaxLength: 300_000 };

export interface Pusher {
  userID: string;
  userName: string;
  userAvatar: string;
  accelerateURL: string;
}

/** What the store keeps per seat (never the push URL: it carries the push signature). */
export interface Seat extends Pusher {
  streamID: string;
}

export interface RoomDetail {
  roomID: string;
  roomInfo: string;
  roomCreator: string;
  mixedPlayURL: string;
  /** The custom counters as a JSON string, as the protocol wants. */
  custom: string;
  pushers: Pusher[];
  audienceCount?: number;
}

/** A push (`started`) or stop of a stream, as the live platform's callback reports it. */
export interface StreamEvent {
  streamId: string;
  sequence: string;
  started: boolean;
  /** Unix seconds. */
  eventTime: number;
}

export type StreamEventOutcome =
  | { outcome: 'duplicate' | 'stale' | 'recorded' }
  | { outcome: 'live'; type: RoomType; roomId: string }
  | { outcome: 'removed'; type: RoomType; roomId: string; effect: Effect };

/** The stream state API's verdict on an overdue seat: its stream is up, or the API gave no answer. */
export type SpareVerdict = 'live' | 'unknown';

export interface PendingEffect {
  type: RoomType;
  roomId: string;
  effect: Effect;
  /** The member a `remove` concerns. */
  userId?: string;
}

/** What a TRTC room callback did (trtcEvent-*.lua). */
export type TrtcEventOutcome =
  | { outcome: 'duplicate' | 'stale' | 'recorded' | 'present' | 'ended' }
  | { outcome: 'removed'; effect: Effect }
  /** A 103 of a user banned there or holding no seat: they are to be removed from the TRTC room (effect 'remove'). */
  | { outcome: 'refused'; effect: 'remove'; why: 'banned' | 'no_seat' };

/**
 * How long a room's TRTC callback order record lives: TRTC retries a
 * callback for one minute, so a late copy finds what was applied after it.
 */
export const TRTC_ORDER_TTL_MS = 10 * 60_000;

type Reply = [string, ...unknown[]];


/** The scripts that append to the event log (their KEYS name its counter). */
const APPENDING = new Set<ScriptName>((Object.keys(SCRIPTS) as ScriptName[]).filter((name) => (SCRIPTS[name].keys as readonly string[]).includes('eventCount')));
type ScriptCall = (...args: (string | number)[]) => Promise<Reply>;

/** A home room set outlives its owner's last create by this much (longer than rooms live without heartbeats). */
const HOME_ROOMS_TTL_MS = 7 * 24 * 3600_000;

/**
 * ROOM_SLOT_CHECK=1 (the cluster test run; RoomStore's `slotCheck`): every
 * room script call proves it stays in one Cluster slot: its KEYS, and the key
 * prefixes it builds keys from (ARGV values holding a hash tag), all hash to
 * the same slot. Redis Cluster refuses cross-slot KEYS itself, but not a key
 * built inside Lua.
 */
export function assertOneSlot(prefix: string, name: string, keys: readonly string[], args: readonly (string | number)[]): void {
  // Only key prefixes: user data (room info, seats) may hold braces too.
  const tagged = [...keys, ...args.flatMap((a) => (typeof a === 'string' ? a.split(/[,|=]/) : [])).filter((a) => a.startsWith(`${prefix}:{`))];
  const slots = new Set(tagged.map(crc16Slot));
  if (slots.size > 1) throw new Error(`script ${name} names keys in ${slots.size} slots: ${tagged.join(' ')}`);
}

/** Keeps an effect's outbox entry this long before the sweeper retries it. */
export const EFFECT_LEASE_MS = 30_000;
/** How long room keys outlive their last deadline when nothing reaps them. */
const BACKSTOP_GRACE_MS = 60_000;
/**
 * How long a stream's record lives after its last seat or callback: longer
 * than a broadcast, since heartbeats do not refresh it (only the seat's own
 * room hash says whether the record still applies).
 */
export const STREAM_RECORD_TTL_MS = 24 * 3600_000;

/** The previous IM group of this room id is still being destroyed (see destroyPending in lua/helpers/rules.lua): wait, then retry. */
export class GroupBusy extends AppError {
  constructor() {
    super(Code.IM_GROUP_FAILED, 'the previous IM group of this room id is still being removed; retry shortly');
  }
}

/**
 * A join refused by an admin ban (code 7, like any refusal of who the caller
 * is), saying until when; `bannedUntil` (ms) lets a client show it.
 */
export function banned(scope: string, ends: number): AppError {
  const from = scope === 'service' ? 'this service' : 'this room';
  return new AppError(Code.AUTH_FAILED, `you are banned from ${from} until ${new Date(ends).toISOString()}`, 200, { bannedUntil: ends });
}

const statusError: Record<string, (roomId: string, detail: unknown[]) => AppError> = {
  EXISTS: (roomId) => new AppError(Code.ROOM_EXISTS, 'room already exists', 200, { roomID: roomId }),
  AUTH: () => authFailed('token is missing, expired or revoked'),
  NO_ROOM: () => new AppError(Code.ROOM_NOT_FOUND, 'room does not exist'),
  NOT_CREATOR: () => new AppError(Code.ROOM_NOT_FOUND, 'only the room creator can destroy the room'),
  NOT_MEMBER: () => new AppError(Code.NOT_A_MEMBER, 'you are not a pusher in this room'),
  FULL: () => new AppError(Code.ROOM_FULL, 'room is full'),
  AUD_FULL: () => new AppError(Code.INVALID_PARAM, 'audience list is full'),
  RATE: () => new AppError(Code.RATE_LIMITED, 'too many requests; slow down', 429),
  NOT_INT: () => new AppError(Code.INVALID_PARAM, 'fieldName holds a value that is not an integer counter'),
  BUSY: () => new GroupBusy(),
  ROOM_QUOTA: () => new AppError(Code.ROOM_QUOTA, 'you hold the most open rooms allowed (ROOMS_PER_USER); end one first'),
  BANNED: (_id, [scope, ends]) => banned(String(scope), Number(ends)),
  CUSTOM_FIELDS: (_id, [max]) => new AppError(Code.VALUE_TOO_LONG, `fieldName would exceed the room's ${max} custom fields`),
  CUSTOM_BYTES: (_id, [max]) => new AppError(Code.VALUE_TOO_LONG, `value would exceed the room's ${max} bytes of custom fields`),
};

/** The protocol error for a script's refusal (its status word). */
export function refusal(script: ScriptName, status: string, roomId: string, detail: unknown[]): Error {
  const error = statusError[status];
  return error ? error(roomId, detail) : new Error(`room script ${script} answered ${status}`);
}

/** What a script call needs beyond the common arguments. */
export interface RunOptions {
  /** False when this request's quota was already counted (create_room's session check, a retry). */
  countQuota?: boolean;
  /** set_custom_field's opID (names the key keeping its result). */
  opId?: string;
  /** The seat's stream (names the stream's record key). */
  streamId?: string;
  /** The moment the script judges deadlines by (default: now). */
  asOf?: number;
  /** The partition to run in (default: the room id's; keys.ts). Partition-wide scripts (roomId '-') name it. */
  partition?: number;
  /** The user the script acts on when that is not the caller (names their ban keys). */
  subject?: string;
}

function pairs(flat: unknown): [string, string][] {
  const list = flat as string[];
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([list[i] as string, list[i + 1] as string]);
  return out;
}

/** Custom values are stored JSON-encoded so `set` keeps strings and numbers apart. */
export function customJson(flat: unknown): string {
  // No prototype: a field named `__proto__` is data like any other.
  const custom: Record<string, unknown> = Object.create(null);
  for (const [field, value] of pairs(flat)) custom[field] = JSON.parse(value);
  return JSON.stringify(custom);
}

function toPusher(json: unknown): Pusher | undefined {
  if (typeof json !== 'string') return undefined;
  const seat = JSON.parse(json) as Seat;
  return { userID: seat.userID, userName: seat.userName, userAvatar: seat.userAvatar, accelerateURL: seat.accelerateURL };
}

function toDetail(reply: unknown[]): RoomDetail {
  const [roomID, roomInfo, roomCreator, mixedPlayURL, custom, pushers, audienceCount] = reply;
  const detail: RoomDetail = {
    roomID: String(roomID),
    roomInfo: String(roomInfo),
    roomCreator: String(roomCreator),
    mixedPlayURL: String(mixedPlayURL),
    custom: customJson(custom),
    pushers: (pushers as unknown[]).map(toPusher).filter((p): p is Pusher => p !== undefined),
  };
  if (audienceCount !== undefined) detail.audienceCount = Number(audienceCount);
  return detail;
}

export class RoomStore {
  /**
   * Called after a script that may have appended events succeeded (not after
   * a heartbeat or a read): runtime.ts starts webhook delivery here when
   * WEBHOOK_URL is set. Must not throw or wait.
   */
  onEvents: ((partition: number) => void) | undefined;

  /** Room types recorded from their start (RECORD_ROOM_TYPES): joinRoom starts their recording with the room. */
  autoRecordTypes: ReadonlySet<RoomType> = new Set();

  constructor(
    protected readonly redis: RedisClient,
    protected readonly prefix: string,
    protected readonly limits: Record<RoomType, RoomLimits>,
    private readonly rateLimit: { perUserPerMinute: number; perIpPerMinute: number } = { perUserPerMinute: 0, perIpPerMinute: 0 },
    protected readonly now: () => number = Date.now,
    protected readonly eventLog: EventLogBounds = DEFAULT_EVENT_LOG,
    /** ROOM_SLOT_CHECK (config.ts): assert every script call stays in one Cluster slot (assertOneSlot). */
    private readonly slotCheck = false,
  ) {}

  protected backstopMs(type: RoomType): number {
    const limits = this.limits[type];
    return Math.max(limits.heartbeatTimeoutMs, limits.idleTimeoutMs) + BACKSTOP_GRACE_MS;
  }

  /**
   * Runs a room script: its KEYS by the names of its header (keys.ts), the
   * common ARGV (helpers/admission.lua), then `extra`. Answers the raw reply,
   * status word first.
   */
  protected async run(name: ScriptName, actor: Actor | undefined, type: RoomType, roomId: string, extra: (string | number)[], options: RunOptions = {}): Promise<Reply> {
    const now = options.asOf ?? this.now();
    const partition = options.partition ?? partitionOf(roomId);
    const keys = keysFor(SCRIPTS[name].keys, { prefix: this.prefix, type, roomId, actor, now, partition, opId: options.opId, streamId: options.streamId, subject: options.subject });
    return this.call(name, keys, actor, type, type, roomId, now, extra, options);
  }

  /** The script call itself: `keys`, the common ARGV for room type `type` (events named `eventType`), then `extra`. */
  protected async call(
    name: ScriptName,
    keys: string[],
    actor: Actor | undefined,
    type: RoomType,
    eventType: RoomType | typeof SERVICE_EVENTS,
    roomId: string,
    now: number,
    extra: (string | number)[],
    options: RunOptions = {},
  ): Promise<Reply> {
    const limits = this.limits[type];
    const countQuota = actor !== undefined && options.countQuota !== false;
    const fn = (this.redis as unknown as Record<ScriptName, ScriptCall>)[name];
    const args = [
      actor?.userId ?? '',
      now,
      roomId,
      limits.heartbeatTimeoutMs,
      limits.idleTimeoutMs,
      this.backstopMs(type),
      EFFECT_LEASE_MS,
      // An anonymous caller (webrtc_room's get_room_list in demo mode: userID '') has no user quota, only its IP's.
      countQuota && actor.userId !== '' ? this.rateLimit.perUserPerMinute : 0,
      countQuota ? this.rateLimit.perIpPerMinute : 0,
      ownedRoomsBase(this.prefix, options.partition ?? partitionOf(roomId)),
      // A short-ARGV script still gets them when the caller's identity was proven
      // outside the store (webrtc_room): admission.lua then reads ARGV 14.
      eventType,
      this.eventLog.maxLength,
      this.eventLog.maxAgeMs,
      actor?.proof ? '1' : '0',
      this.eventLog.hardMaxLength,
      ...extra,
    ];
    if (this.slotCheck) assertOneSlot(this.prefix, name, keys, args);
    const reply = await storeCall(fn.call(this.redis, ...keys, ...args));
    if (this.onEvents && reply[0] === 'OK' && APPENDING.has(name)) this.onEvents(options.partition ?? (eventType === SERVICE_EVENTS ? 0 : partitionOf(roomId)));
    return reply;
  }

  /** Runs a room script; throws the protocol error for a refusal, else answers the reply after its 'OK'. */
  protected async room(name: ScriptName, actor: Actor | undefined, type: RoomType, roomId: string, extra: (string | number)[] = [], options: RunOptions = {}): Promise<unknown[]> {
    const [status, ...rest] = await this.run(name, actor, type, roomId, extra, options);
    if (status === 'OK') return rest;
    throw refusal(name, status, roomId, rest);
  }

  /**
   * Refuses (code 7, saying until when) a user under a service ban: for what
   * issues credentials without a room script (UserSigs). Every partition
   * holds a copy of the ban; the user's home partition's is read.
   */
  async refuseServiceBanned(userId: string): Promise<void> {
    const ends = await storeCall(this.redis.get(serviceBanKey(this.prefix, userId, partitionOf(userId))));
    if (ends !== null) throw banned('service', Number(ends));
  }

  /** Session and quota check, for actions that must know before touching anything else. */
  async checkSession(actor: Actor, type: RoomType): Promise<void> {
    await this.room('checkSession', actor, type, '-');
  }

  /**
   * create_room before its IM call: refuses a bad session, a caller over quota
   * and a taken id, and records the group's cleanup, which creating the room cancels.
   */
  async prepareCreate(actor: Actor, type: RoomType, roomId: string, countQuota = true): Promise<void> {
    await this.room('prepareCreate', actor, type, roomId, [this.limits[type].roomsPerUser], { countQuota });
    await this.reserveHome(actor, type, roomId);
  }

  /**
   * ROOMS_PER_USER across partitions (N > 1): the room partition's script
   * counts only that partition's rooms, so before a room is created the
   * caller's home partition reserves it too. Entries whose room no longer
   * exists with this creator (and, for a reservation not yet marked created,
   * older than the effect lease) are pruned first (a read per entry in its
   * partition: create is rare, not the hot path); the
   * reserve itself is one atomic script, so concurrent creates cannot
   * overshoot. A room handed on or ended is released at the owner's next
   * create (lazily), never by the hot path.
   */
  private async reserveHome(actor: Actor, type: RoomType, roomId: string): Promise<void> {
    const limit = this.limits[type].roomsPerUser;
    if (roomPartitions() === 1 || limit <= 0) return;
    const home = homeRoomsKey(this.prefix, actor.userId);
    const now = this.now();
    const entries = pairs(await storeCall(this.redis.zrange(home, 0, -1, 'WITHSCORES')));
    const stale: string[] = [];
    // Score 0: a room created (counts while it exists with this creator);
    // else the reservation's time (counts also while the create may be under way).
    await Promise.all(
      entries.map(async ([entry, since]) => {
        const bar = entry.indexOf('|');
        const creator = await storeCall(this.redis.hget(roomKeys(this.prefix, entry.slice(0, bar) as RoomType, entry.slice(bar + 1)).room, 'c'));
        if (creator !== actor.userId && (Number(since) === 0 || Number(since) <= now - EFFECT_LEASE_MS)) stale.push(entry);
      }),
    );
    if (stale.length > 0) await storeCall(this.redis.zrem(home, ...stale));
    const store = this.redis as unknown as { reserveHome(home: string, entry: string, now: number, limit: number, ttlMs: number): Promise<number> };
    const reserved = await storeCall(store.reserveHome(home, `${type}|${roomId}`, now, limit, HOME_ROOMS_TTL_MS));
    if (reserved !== 1) throw refusal('prepareCreate', 'ROOM_QUOTA', roomId, []);
  }

  async createRoom(actor: Actor, type: RoomType, roomId: string, roomInfo: string): Promise<void> {
    await this.room('createRoom', actor, type, roomId, [roomInfo, this.limits[type].roomsPerUser], { countQuota: false });
    await this.createdHome(actor, type, roomId);
  }

  /** The home entry of a room now created (N > 1): counted while the room exists, released once it does not. */
  private async createdHome(actor: Actor, type: RoomType, roomId: string): Promise<void> {
    if (roomPartitions() === 1 || this.limits[type].roomsPerUser <= 0) return;
    await storeCall(this.redis.zadd(homeRoomsKey(this.prefix, actor.userId), 'XX', 0, `${type}|${roomId}`));
  }

  /**
   * Seats `actor` (or updates its seat). Without `create`, a missing room
   * answers `{missing: true}` so the caller can make the IM group first.
   */
  async join(
    actor: Actor,
    type: RoomType,
    roomId: string,
    seat: Seat,
    mixedPlayURL: string,
    create?: { roomInfo: string },
    /** False when this request already counted its quota (a retry, or the creating run). */
    countQuota = !create,
  ): Promise<{ missing: true } | { missing: false; created: boolean; effect: Effect | undefined; creator: boolean; recording: boolean }> {
    const limits = this.limits[type];
    const args = [
      JSON.stringify(seat),
      limits.maxMembers,
      create ? '1' : '0',
      create?.roomInfo ?? '',
      mixedPlayURL,
      limits.roomsPerUser,
      seat.streamID,
      STREAM_RECORD_TTL_MS,
      partitionBase(this.prefix, type, partitionOf(roomId)),
      seat.userName,
      seat.userAvatar,
      this.autoRecordTypes.has(type) ? '1' : '0',
    ];
    const [status, ...rest] = await this.run('joinRoom', actor, type, roomId, args, { countQuota, streamId: seat.streamID });
    if (status === 'NO_ROOM') {
      await this.reserveHome(actor, type, roomId);
      return { missing: true };
    }
    if (status !== 'OK') throw refusal('joinRoom', status, roomId, rest);
    const [created, effect, creator, recording] = rest;
    if (created === 1) await this.createdHome(actor, type, roomId);
    return { missing: false, created: created === 1, effect: (effect || undefined) as Effect | undefined, creator: creator === 1, recording: recording === 1 };
  }

  /** The actor's seat leaves; `reason` is its pusher_left event's. */
  async leave(actor: Actor, type: RoomType, roomId: string, reason: Extract<PusherLeftReason, 'left' | 'kicked'>): Promise<Effect> {
    const [effect] = await this.room('leaveRoom', actor, type, roomId, [this.limits[type].creatorEndsRoom ? '1' : '0', reason]);
    return effect as Effect;
  }

  /**
   * The hot path: heartbeat-4.lua with its own short ARGV (not the room
   * scripts' common 15), since Redis builds the KEYS and ARGV tables anew for
   * every call; it answers a bare 1 when the beat was taken.
   */
  async heartbeat(actor: Actor, type: RoomType, roomId: string): Promise<void> {
    const now = this.now();
    const partition = partitionOf(roomId);
    const keys = keysFor(SCRIPTS.heartbeat.keys, { prefix: this.prefix, type, roomId, actor, now, partition });
    const args = [
      actor.userId,
      now,
      now + this.limits[type].heartbeatTimeoutMs,
      actor.proof ? '1' : '0',
      this.rateLimit.perUserPerMinute,
      this.rateLimit.perIpPerMinute,
      this.backstopMs(type),
      roomId,
    ];
    if (this.slotCheck) assertOneSlot(this.prefix, 'heartbeat', keys, args);
    const reply = await storeCall((this.redis as unknown as Record<'heartbeat', (...a: (string | number)[]) => Promise<1 | Reply>>).heartbeat(...keys, ...args));
    if (reply === 1) return;
    throw refusal('heartbeat', reply[0], roomId, reply.slice(1));
  }

  /** The creator ends the room; `reason` is its room_finished event's. */
  async destroy(actor: Actor, type: RoomType, roomId: string, reason: Extract<RoomFinishedReason, 'destroyed' | 'admin'>): Promise<Effect> {
    const [effect] = await this.room('destroyRoom', actor, type, roomId, [reason]);
    return effect as Effect;
  }

  async getRoom(actor: Actor, type: RoomType, roomId: string): Promise<RoomDetail> {
    return toDetail(await this.room('getRoom', actor, type, roomId, [type === 'live_room' ? '1' : '0']));
  }

  async listRooms(actor: Actor, type: RoomType, offset: number, count: number): Promise<RoomDetail[]> {
    if (roomPartitions() === 1) return this.listPartition(actor, type, 0, offset, count, true);
    // N partitions: the merged list in creation order (score, then id: each
    // partition's own order). The first offset+count entries of every
    // partition's list decide the page; a partition's share of the page is
    // one contiguous range of its list, read by its own listRooms script.
    // O(N x (offset+count)) index reads, never O(rooms).
    const heads = await Promise.all(
      allPartitions().map(async (p) => {
        const flat = await storeCall(this.redis.zrange(roomKeys(this.prefix, type, '-', p).list, 0, offset + count - 1, 'WITHSCORES'));
        return pairs(flat).map(([id, score], index) => ({ p, id, score: Number(score), index }));
      }),
    );
    const page = heads
      .flat()
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(offset, offset + count);
    const ranges = new Map<number, { from: number; count: number }>();
    for (const entry of page) {
      const range = ranges.get(entry.p);
      if (range) range.count++;
      else ranges.set(entry.p, { from: entry.index, count: 1 });
    }
    // The caller's session and quota: checked (and counted) once, by the first script.
    if (ranges.size === 0) {
      await this.room('checkSession', actor, type, '-');
      return [];
    }
    const parts = await Promise.all([...ranges].map(([p, range], i) => this.listPartition(actor, type, p, range.from, range.count, i === 0)));
    const order = new Map(page.map((entry, i) => [entry.id, i]));
    return parts.flat().sort((a, b) => order.get(a.roomID)! - order.get(b.roomID)!);
  }

  private async listPartition(actor: Actor, type: RoomType, p: number, offset: number, count: number, countQuota: boolean): Promise<RoomDetail[]> {
    const [rooms] = await this.room('listRooms', actor, type, '-', [offset, count, partitionBase(this.prefix, type, p), type === 'live_room' ? '1' : '0'], { partition: p, countQuota });
    return (rooms as unknown[][]).map(toDetail);
  }

  /**
   * set_custom_field; answers the changed field as a JSON string. `value` of
   * inc/dec is the (integer) step, 1 by default. A repeated `opId` of the same
   * caller is answered with its first result, not applied again.
   */
  async setCustomField(
    actor: Actor,
    type: RoomType,
    roomId: string,
    change: { field: string; op: 'inc' | 'dec' | 'set'; value?: string | number; opId?: string },
  ): Promise<string> {
    const limits = this.limits[type];
    const step = change.op === 'set' ? 0 : (change.op === 'inc' ? 1 : -1) * Number(change.value ?? 1);
    const args = [change.field, change.op, JSON.stringify(change.value ?? ''), limits.maxCustomFields, limits.maxCustomBytes, change.opId ?? '', step];
    const changed = await this.room('customField', actor, type, roomId, args, { opId: change.opId ?? '' });
    return customJson(changed);
  }

  /** Without `userInfo` a returning audience member keeps the one stored (a newcomer gets ''). */
  async addAudience(actor: Actor, type: RoomType, roomId: string, userInfo: string | undefined): Promise<void> {
    await this.room('audience', actor, type, roomId, ['add', userInfo ?? '', this.limits[type].maxAudiences, userInfo === undefined ? '1' : '0']);
  }

  async removeAudience(actor: Actor, type: RoomType, roomId: string): Promise<void> {
    await this.room('audience', actor, type, roomId, ['remove', '', 0, '0']);
  }

  async getAudiences(actor: Actor, type: RoomType, roomId: string): Promise<{ userID: string; userInfo: string }[]> {
    const [flat] = await this.room('getAudiences', actor, type, roomId);
    return pairs(flat).map(([userID, userInfo]) => ({ userID, userInfo }));
  }

  /** merge_stream: the room's creator and the stream of each live seat (session checked). */
  async roomStreams(actor: Actor, type: RoomType, roomId: string): Promise<{ creator: string; streams: Map<string, string> }> {
    const [creator, users, seats] = (await this.room('roomSeats', actor, type, roomId)) as [string, string[], (string | null)[]];
    const streams = new Map<string, string>();
    users.forEach((user, i) => {
      const json = seats[i];
      if (typeof json === 'string') streams.set(user, (JSON.parse(json) as Seat).streamID);
    });
    return { creator: String(creator), streams };
  }

  /**
   * One sweeper step for a room type: reaps due rooms, claims effects whose
   * lease ran out. `verdicts` maps overdue `room|user` seats to the stream
   * state API's answer (seats with a live push callback are kept anyway);
   * a kept seat never takes the room over its seats.
   */
  async reapDue(
    type: RoomType,
    batch: number,
    checked: { verdicts: Map<string, SpareVerdict>; asOf: number } = { verdicts: new Map(), asOf: this.now() },
    maxUnknownSpareMs = 0,
    /** webrtc_room: how long a member TRTC reported present is kept without heartbeats. */
    maxPresentSpareMs = 0,
    /** The partition to reap (the sweeper walks them all). */
    partition = 0,
  ): Promise<{ effects: PendingEffect[]; more: boolean }> {
    const { verdicts, asOf } = checked;
    const [effects, more] = await this.room('reapDue', undefined, type, '-', [
      batch,
      partitionBase(this.prefix, type, partition),
      this.limits[type].creatorEndsRoom ? '1' : '0',
      [...verdicts].map(([seat, verdict]) => `${seat}=${verdict}`).join(','),
      ROOM_TYPES.map((t) => partitionBase(this.prefix, t, partition)).join(','),
      this.limits[type].maxMembers,
      maxUnknownSpareMs,
      type === WEBRTC_ROOM ? '1' : '0',
      maxPresentSpareMs,
    ], { asOf, partition });
    return {
      effects: (effects as string[]).map((entry) => {
        const bar = entry.indexOf('|');
        const effect = entry.slice(0, bar) as Effect;
        if (effect !== 'remove') return { type, effect, roomId: entry.slice(bar + 1) };
        // remove|roomID|userID: neither id holds a '|'.
        const [, roomId, userId] = entry.split('|') as [string, string, string];
        return { type, effect, roomId, userId };
      }),
      more: more === 1,
    };
  }

  /**
   * Applies a TRTC room callback once (per user per room, by event time):
   * 104 removes the member exactly as quit_room does (the caller performs the
   * effect), 103 marks it present, 102 ends the room.
   */
  async trtcEvent(event: TrtcEvent): Promise<TrtcEventOutcome> {
    const code = { dismissed: '102', entered: '103', left: '104' }[event.kind];
    const [, outcome, effect, why] = (await this.run(
      'trtcEvent',
      undefined,
      WEBRTC_ROOM,
      event.roomId,
      [code, event.userId, event.at, this.limits[WEBRTC_ROOM].creatorEndsRoom ? '1' : '0', TRTC_ORDER_TTL_MS],
      { subject: event.userId },
    )) as [string, string, string, string?];
    if (outcome === 'removed') return { outcome, effect: effect as Effect };
    if (outcome === 'refused') return { outcome, effect: 'remove', why: why as 'banned' | 'no_seat' };
    return { outcome: outcome as Exclude<TrtcEventOutcome['outcome'], 'removed' | 'refused'> };
  }

  /**
   * Applies a push/stop callback once: a stop removes the seat pushing that
   * stream exactly as delete_pusher would (the caller performs the effect).
   */
  async streamEvent(event: StreamEvent): Promise<StreamEventOutcome> {
    if (roomPartitions() === 1) return this.streamEventIn(event, 0);
    // The callback names only the stream, whose record lives in its seat's
    // room's partition: apply it in every partition (each keeps the record
    // a later join there reads), and answer the one that found the seat.
    const outcomes = await Promise.all(allPartitions().map((p) => this.streamEventIn(event, p)));
    return outcomes.find((o) => o.outcome === 'live' || o.outcome === 'removed') ?? outcomes[0]!;
  }

  private async streamEventIn(event: StreamEvent, partition: number): Promise<StreamEventOutcome> {
    const types = ROOM_TYPES.map((t) => {
      const limits = this.limits[t];
      return [partitionBase(this.prefix, t, partition), limits.idleTimeoutMs, this.backstopMs(t), limits.creatorEndsRoom ? '1' : '0'].join('|');
    });
    // The script finds the seat's room type in the stream's record; the type here only fills the common ARGV.
    const [, outcome, base, roomId, effect] = (await this.run(
      'streamEvent',
      undefined,
      'live_room',
      '-',
      [event.streamId, event.sequence, event.started ? '1' : '0', event.eventTime, STREAM_RECORD_TTL_MS, types.join(',')],
      { streamId: event.streamId, partition },
    )) as [string, ...string[]];
    if (outcome !== 'live' && outcome !== 'removed') return { outcome: outcome as 'duplicate' | 'stale' | 'recorded' };
    const type = ROOM_TYPES.find((t) => partitionBase(this.prefix, t, partition) === base)!;
    return outcome === 'live' ? { outcome, type, roomId: roomId! } : { outcome, type, roomId: roomId!, effect: effect as Effect };
  }

  /** Seats past their heartbeat deadline in due rooms: `[roomId, userId, streamID]`. */
  async overdueSeats(type: RoomType, batch: number, partition = 0): Promise<{ asOf: number; seats: { roomId: string; userId: string; streamId: string }[] }> {
    // The reap that acts on these seats' verdicts judges by the same moment: a
    // seat falling due between the two is left to the next sweep, never evicted unchecked.
    const asOf = this.now();
    const flat = (await this.run('overdueSeats', undefined, type, '-', [batch, partitionBase(this.prefix, type, partition)], { asOf, partition })) as string[];
    const seats: { roomId: string; userId: string; streamId: string }[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const json = flat[i + 2] as string;
      seats.push({ roomId: flat[i] as string, userId: flat[i + 1] as string, streamId: json ? (JSON.parse(json) as Seat).streamID : '' });
    }
    return { asOf, seats };
  }

  /**
   * Appends one event outside a room script (helpers/events.lua appendEvent):
   * the admin plane's actions on a room, in its sequence, and service-wide
   * events (`type` 'service', `roomId` '-'). `data`: more fields, as JSON
   * object members (shared/events/log.ts builds and checks them). Answers the event id.
   */
  async appendEvent(
    type: RoomType | typeof SERVICE_EVENTS,
    roomId: string,
    kind: string,
    event: { userID?: string; reason?: string; data?: string } = {},
  ): Promise<string> {
    const room = type === SERVICE_EVENTS ? `${roomSeqKey(this.prefix, type, roomId)}:none` : roomKeys(this.prefix, type, roomId).room;
    // Service-wide events go to partition 0's log; a room's to its partition's.
    const partition = type === SERVICE_EVENTS ? 0 : partitionOf(roomId);
    const keys = [eventLogKey(this.prefix, partition), eventCountKey(this.prefix, partition), room, roomSeqKey(this.prefix, type, roomId)];
    // The service pseudo room has no limits of its own: any type's fill the common ARGV it does not read.
    const limitsOf = type === SERVICE_EVENTS ? ROOM_TYPES[0] : type;
    const [, id] = await this.call('appendEvent', keys, undefined, limitsOf, type, roomId, this.now(), [kind, event.userID ?? '', event.reason ?? '', event.data ?? ''], { partition });
    return String(id);
  }

  /** Bounds the event log by age and length when no change trims it (the sweeper); answers the events left. */
  async trimEvents(): Promise<number> {
    const left = await Promise.all(
      allPartitions().map(async (p) => (await this.call('trimEvents', [eventLogKey(this.prefix, p)], undefined, ROOM_TYPES[0], ROOM_TYPES[0], '-', this.now(), [], { partition: p }))[1]),
    );
    return left.reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /** Marks an effect done (removes its outbox entry; a `remove` names its member). */
  async ackEffect(type: RoomType, roomId: string, effect: Effect | 'expect', userId?: string): Promise<void> {
    const entry = effect === 'remove' ? `remove|${roomId}|${userId ?? ''}` : `${effect}|${roomId}`;
    await storeCall(this.redis.zrem(roomKeys(this.prefix, type, roomId).outbox, entry));
  }
}
