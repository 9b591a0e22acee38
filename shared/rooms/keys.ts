/**
 * Redis key names: the one owner of the key layout (the Lua scripts get their
 * keys from here; tests and the bench build names here too).
 *
 * With one partition (ROOM_PARTITIONS=1, the default) every key of the
 * service's room state shares the hash tag `{rooms}`: one Cluster slot, so
 * each room script, the room lists, the deadline indexes, the sessions and the
 * cross-type room id check are atomic together. With N partitions each has
 * its own tag (partitions.ts) and everything of a room is in its id's
 * partition, so every script still runs in one slot; what is copied or merged
 * across partitions, and what that trades, is below and in
 * docs/data-layout.md. The one exception is the IP quota of the endpoints that run no
 * room script (`{ratelimit}`): nothing else is atomic with it, so it stays off
 * the rooms' slots.
 *
 * Keys a script can name before it runs come in its KEYS (`keysFor`, by the
 * names in the script's header). Keys it finds in data (the rooms of a list
 * page or of the deadline index, a stream record's seat, a room's creator's
 * open-room set, an evicted session) it builds from a key prefix passed in
 * ARGV (`partitionBase`, `ownedRoomsBase`, `sessionKey(prefix, '')`);
 * helpers/rules.lua `roomIn` / `partitionIn` spell the same layout as
 * `roomKeys` below. All of them share the script's partition's slot
 * (ROOM_SLOT_CHECK=1 asserts it on every call: store.ts assertOneSlot).
 */
import { ROOM_TYPES, type RoomType } from '../config';
import { partitionOf, partitionTag } from './partitions';

export { partitionOf, roomPartitions, allPartitions } from './partitions';

/**
 * Partitions (ROOM_PARTITIONS, shared/rooms/partitions.ts): every key below
 * lives in one partition `p`, i.e. under that partition's hash tag. With one
 * partition (the default) the tag is `{rooms}` and the names are today's.
 * A room's keys are in partitionOf(roomID) (the id alone, so the cross-type
 * id rule stays in one slot); keys that belong to no room take `p`
 * explicitly (sessions and service bans are copied to every partition, a
 * user's session index lives in partitionOf(userID), the user's "home").
 */
const slot = (prefix: string, p: number) => `${prefix}:{${partitionTag(p)}}:`;

/** Prefix of every key of one room type in partition `p`, e.g. `rs:{rooms}:multi_room:`. */
export const partitionBase = (prefix: string, type: RoomType, p = 0) => `${slot(prefix, p)}${type}:`;

/** A session (string: its userID), by session id; a copy in every partition (sessions.ts). */
export const sessionKey = (prefix: string, sessionId: string, p = 0) => `${slot(prefix, p)}s:${sessionId}`;

/**
 * A live stream's record: the seat pushing it and the push/stop callbacks
 * already handled. In the partition of the seat's room (joinRoom writes it);
 * the platform's callback knows only the stream, so with N > 1 partitions it
 * is applied in every partition (store.ts streamEvent).
 */
export const streamKey = (prefix: string, streamId: string, p = 0) => `${slot(prefix, p)}st:${streamId}`;

/** A user's live sessions (sorted set: session id by expiry), for the per-user cap: in the user's home partition. */
export const userSessionsKey = (prefix: string, userId: string) => `${slot(prefix, partitionOf(userId))}u:${userId}`;

/**
 * Prefix of the users' open-room sets (sorted set of room hash keys), for
 * ROOMS_PER_USER, in partition `p` (a room's scripts use the room's
 * partition: with N > 1 the limit holds per partition, docs/data-layout.md).
 */
export const ownedRoomsBase = (prefix: string, p = 0) => `${slot(prefix, p)}o:`;

/**
 * With N > 1 partitions: a user's rooms across partitions for ROOMS_PER_USER
 * (sorted set: `<type>|<roomID>` by reservation time), in the user's home
 * partition. The per-partition open-room sets above cannot see each other;
 * this one is reserved atomically before a room is created (store.ts reserveHome).
 */
export const homeRoomsKey = (prefix: string, userId: string) => `${slot(prefix, partitionOf(userId))}oh:${userId}`;

/** This minute's request counter of a user (`u`) or client IP (`ip`) in one room type, in partition `p`. */
export const quotaKey = (prefix: string, type: RoomType, kind: 'u' | 'ip', who: string, nowMs: number, p = 0) =>
  `${partitionBase(prefix, type, p)}rl:${kind}:${who}:${Math.floor(nowMs / 60_000)}`;

/** This minute's request counter of a client IP on the endpoints that run no room script. */
export const ipQuotaKey = (prefix: string, ip: string, nowMs: number) => `${prefix}:{ratelimit}:ip:${ip}:${Math.floor(nowMs / 60_000)}`;

/** The last TRTC callback applied per user of a room (hash: `u:<user>` / `-` -> "ms|event type"). */
export const trtcOrderKey = (prefix: string, type: RoomType, roomId: string) => `${partitionBase(prefix, type, partitionOf(roomId))}te:${roomId}`;

/**
 * Admin bans (the admin API): a user's service-wide ban, or their ban from one
 * room, as a string holding the end of the ban (ms) that expires by TTL at
 * that moment; the join scripts refuse a user while either exists. Beside
 * them, an index of every ban (sorted set: `<scope>|<userID>` by end, scope
 * `service` or `<roomType>/<roomID>`) for listing; its ended entries are
 * dropped when it is read.
 */
export const serviceBanKey = (prefix: string, userId: string, p = 0) => `${slot(prefix, p)}ban:${userId}`;
export const roomBanKey = (prefix: string, type: RoomType, roomId: string, userId: string) => `${partitionBase(prefix, type, partitionOf(roomId))}ban:${roomId}|${userId}`;
export const bansIndexKey = (prefix: string, p = 0) => `${slot(prefix, p)}bans`;

/**
 * The room event log (sorted set: event JSON by its position in the log) and
 * the counter that hands out positions. One log for the whole service, in
 * the rooms' slot, so the script that changes a room appends its event in
 * the same atomic step (helpers/events.lua).
 */
export const eventLogKey = (prefix: string, p = 0) => `${slot(prefix, p)}ev`;
export const eventCountKey = (prefix: string, p = 0) => `${slot(prefix, p)}ev:n`;

/**
 * Beside each log (same slot; helpers/events.lua builds these names from the
 * log's): the webhook receivers' cursors (sorted set receiver id -> last
 * position delivered), which hold undelivered events in the log up to
 * EVENT_LOG_HARD_MAX_LEN; the count of events the hard bound forced out
 * before every receiver had them, and the last such loss (JSON).
 */
export const eventReceiversKey = (prefix: string, p = 0) => `${eventLogKey(prefix, p)}:rx`;
export const eventsLostKey = (prefix: string, p = 0) => `${eventLogKey(prefix, p)}:lost`;
export const lastEventGapKey = (prefix: string, p = 0) => `${eventLogKey(prefix, p)}:lastgap`;

/** The pseudo room type of service-wide events (roomID '-'). */
export const SERVICE_EVENTS = 'service';

/**
 * A room's last event sequence number (string). It outlives the room (see
 * helpers/events.lua nextSeq), so a room id used again continues its sequence.
 */
export const roomSeqKey = (prefix: string, type: RoomType | typeof SERVICE_EVENTS, roomId: string) =>
  `${slot(prefix, type === SERVICE_EVENTS ? 0 : partitionOf(roomId))}${type}:q:${roomId}`;

/**
 * Webhook delivery state of one receiver (hash: cursor, lease, attempts), by
 * a digest of its URL, per partition: each partition's log is delivered on
 * its own (a room's events stay in order; its dead letters park beside it).
 */
export const webhookKey = (prefix: string, receiver: string, p = 0) => `${slot(prefix, p)}wh:${receiver}`;
/** Parked webhook batches: id -> claim lease end (sorted set), and id -> the dead letter JSON (hash). */
export const deadLetterKeys = (prefix: string, p = 0) => ({ index: `${slot(prefix, p)}wh:dead`, bodies: `${slot(prefix, p)}wh:dead:b` });

/** A room's recording (shared/rooms/lua/helpers/recording.lua): its hash, its type's recording outbox, the callbacks already told. */
export function recordingKeys(prefix: string, type: RoomType, roomId: string, p = partitionOf(roomId)) {
  const base = partitionBase(prefix, type, p);
  return { recording: `${base}rec:${roomId}`, due: `${base}recbox`, files: `${base}recf:${roomId}` };
}

/** The keys of one room and of its type's partition. */
export interface RoomKeys {
  /** The room hash; its fields are listed in shared/rooms/lua/helpers/rules.lua. */
  room: string;
  /** Seats: userID -> seat JSON. */
  pushers: string;
  /** Heartbeat deadlines: userID -> ms. */
  beats: string;
  custom: string;
  /** Audience: userID -> userInfo. */
  audience: string;
  /** The type's rooms in creation order. */
  list: string;
  /** The type's deadline index: roomID -> next moment of interest. */
  due: string;
  /** The type's pending IM effects: `notify|id`, `destroy|id`, `expect|id` -> lease end. */
  outbox: string;
  /** The room's last event sequence number (roomSeqKey). */
  seq: string;
}

/** A room's keys; `p` (default: the room's own partition) names another partition's list/due/outbox for '-'. */
export function roomKeys(prefix: string, type: RoomType, roomId: string, p = partitionOf(roomId)): RoomKeys {
  const base = partitionBase(prefix, type, p);
  return {
    room: `${base}r:${roomId}`,
    pushers: `${base}p:${roomId}`,
    beats: `${base}b:${roomId}`,
    custom: `${base}c:${roomId}`,
    audience: `${base}a:${roomId}`,
    list: `${base}list`,
    due: `${base}due`,
    outbox: `${base}outbox`,
    seq: `${base}q:${roomId}`,
  };
}

/** Who runs a script on which room: what its keys are named after. */
export interface KeyContext {
  prefix: string;
  type: RoomType;
  roomId: string;
  /** Absent for the service's own scripts (sweeper, callbacks), which name no caller's keys. */
  actor?: { userId: string; sessionId: string; clientIp: string };
  now: number;
  /** The partition the script runs in (partitionOf(roomId) unless a partition-wide script names it). */
  partition: number;
  opId?: string;
  streamId?: string;
  /** The user an admin ban is about, and whether it is service-wide (else from roomId of type). */
  subject?: string;
  serviceWide?: boolean;
}

/**
 * The types other than `type`, in ROOM_TYPES order: a script that checks the
 * cross-type id rule names one `otherRoomN` / `otherOutboxN` key per entry (a
 * new room type adds one key to each such script; keys-layout test checks the count).
 */
const otherTypes = (type: RoomType) => ROOM_TYPES.filter((t) => t !== type);

function actorOf(c: KeyContext): NonNullable<KeyContext['actor']> {
  if (!c.actor) throw new Error('this script names a caller key but has no caller');
  return c.actor;
}

/** Every key name a script header may use, and how it is spelled. */
const KEY_OF = {
  session: (c: KeyContext) => sessionKey(c.prefix, actorOf(c).sessionId, c.partition),
  userQuota: (c: KeyContext) => quotaKey(c.prefix, c.type, 'u', actorOf(c).userId, c.now, c.partition),
  ipQuota: (c: KeyContext) => quotaKey(c.prefix, c.type, 'ip', actorOf(c).clientIp, c.now, c.partition),
  room: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).room,
  pushers: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).pushers,
  beats: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).beats,
  custom: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).custom,
  audience: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).audience,
  list: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).list,
  due: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).due,
  outbox: (c: KeyContext) => roomKeys(c.prefix, c.type, c.roomId, c.partition).outbox,
  otherRoom1: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[0]!, c.roomId).room,
  otherRoom2: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[1]!, c.roomId).room,
  otherRoom3: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[2]!, c.roomId).room,
  otherOutbox1: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[0]!, c.roomId).outbox,
  otherOutbox2: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[1]!, c.roomId).outbox,
  otherOutbox3: (c: KeyContext) => roomKeys(c.prefix, otherTypes(c.type)[2]!, c.roomId).outbox,
  owned: (c: KeyContext) => ownedRoomsBase(c.prefix, c.partition) + actorOf(c).userId,
  /** The caller's rooms in its home partition (ROOMS_PER_USER across partitions: reserveHome). */
  homeRooms: (c: KeyContext) => homeRoomsKey(c.prefix, actorOf(c).userId),
  /** A set_custom_field result kept for retries of the caller's opID. */
  customOp: (c: KeyContext) => `${roomKeys(c.prefix, c.type, c.roomId, c.partition).custom}|op|${actorOf(c).userId}|${c.opId ?? ''}`,
  stream: (c: KeyContext) => streamKey(c.prefix, c.streamId ?? '', c.partition),
  /** A webrtc_room's TRTC callback order record (outlives the room by the callbacks' retry window). */
  trtcOrder: (c: KeyContext) => trtcOrderKey(c.prefix, c.type, c.roomId),
  /** The joining actor's bans (service-wide, and from this room), checked by every join script. */
  serviceBan: (c: KeyContext) => serviceBanKey(c.prefix, actorOf(c).userId, c.partition),
  roomBan: (c: KeyContext) => roomBanKey(c.prefix, c.type, c.roomId, actorOf(c).userId),
  /** The bans of the user a script acts on (`subject`; a TRTC callback's user): service-wide and from this room. */
  userServiceBan: (c: KeyContext) => serviceBanKey(c.prefix, c.subject ?? '', c.partition),
  userRoomBan: (c: KeyContext) => roomBanKey(c.prefix, c.type, c.roomId, c.subject ?? ''),
  /** A ban the admin API sets or lifts: the subject's service ban or room ban. */
  ban: (c: KeyContext) => (c.serviceWide ? serviceBanKey(c.prefix, c.subject ?? '', c.partition) : roomBanKey(c.prefix, c.type, c.roomId, c.subject ?? '')),
  bans: (c: KeyContext) => bansIndexKey(c.prefix, c.partition),
  events: (c: KeyContext) => eventLogKey(c.prefix, c.partition),
  eventCount: (c: KeyContext) => eventCountKey(c.prefix, c.partition),
  seq: (c: KeyContext) => roomSeqKey(c.prefix, c.type, c.roomId),
  recording: (c: KeyContext) => recordingKeys(c.prefix, c.type, c.roomId, c.partition).recording,
  recordingDue: (c: KeyContext) => recordingKeys(c.prefix, c.type, c.roomId, c.partition).due,
  recordingFiles: (c: KeyContext) => recordingKeys(c.prefix, c.type, c.roomId, c.partition).files,
};

export type KeyName = keyof typeof KEY_OF;

/** A script's KEYS, in the order of its header. */
export const keysFor = (names: readonly KeyName[], c: KeyContext): string[] => names.map((name) => KEY_OF[name](c));
