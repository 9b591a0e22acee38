/**
 * The room event log: reading it (replay, `GET /admin/events`) and appending
 * the events that are not part of a room script (the admin plane's actions,
 * service-wide events). Room changes append their own events inside the Lua
 * script that makes the change (shared/rooms/lua/helpers/events.lua), so a
 * change and its event commit together; this module never writes those.
 *
 * The log is one sorted set for the whole service (keys.ts eventLogKey):
 * member = the event's JSON, score = its position (commit order). An event id
 * is `<time ms>-<position>`; "after an id" means after its position. With
 * ROOM_PARTITIONS > 1 each partition has its own log and a read's `next` is a
 * cursor holding the last position read in each (decodeCursor).
 */
import { ROOM_TYPES, type RoomType } from '../config';
import { AppError, Code, invalidParam } from '../errors';
import { storeCall } from '../redis';
import { SERVICE_EVENTS, allPartitions, eventLogKey, partitionOf, roomPartitions } from '../rooms/keys';
import type { Runtime } from '../services';

/** One event as the log, the webhooks and replay carry it. */
export interface RoomEvent {
  /** `<time ms>-<position in the log>`: unique; opaque to receivers (dedupe by it). */
  id: string;
  type: string;
  /** A room type, or 'service' for service-wide events. */
  roomType: string;
  /** '-' for service-wide events. */
  roomID: string;
  /** Per room (type + id): 1, 2, 3, ... without gaps, continued when the id is used again. */
  seq: number;
  /** When the change was made (ms since the epoch). */
  time: number;
  userID?: string;
  reason?: string;
  [field: string]: unknown;
}

/** The room an event concerns: a room, or the service pseudo room (`{type: 'service', id: '-'}`). */
export interface EventRoom {
  type: RoomType | typeof SERVICE_EVENTS;
  id: string;
}

export const SERVICE_ROOM: EventRoom = { type: SERVICE_EVENTS, id: '-' };

/**
 * events_lost events (helpers/events.lua forceOut) belong to the pseudo
 * room service/log, with ROOM_PARTITIONS > 1 service/log.<p> (each
 * partition's log has its own): the partition whose log it is in.
 */
const LOSS_ROOM = /^log(?:\.(\d{1,4}))?$/;
const serviceRoomPartition = (id: string): number => Number(LOSS_ROOM.exec(id)?.[1] ?? 0);

/** The partition whose log holds a room's events. */
export const eventRoomPartition = (room: EventRoom): number => (room.type === SERVICE_EVENTS ? serviceRoomPartition(room.id) : partitionOf(room.id));

/** `<time>-<position>`, with ROOM_PARTITIONS > 1 `<partition>.<time>-<position>` (positions follow the clock there: up to 16 digits). */
const EVENT_ID = /^(?:(\d{1,4})\.)?(\d{1,15})-(\d{1,16})$/;
/** Events one readEvents call examines at most when filtering by room (each chunk is one round trip). */
const MAX_SCAN = 10_000;
const SCAN_CHUNK = 1000;
export const MAX_READ_LIMIT = 1000;

/** The log position of an event id; throws code 1 naming `field` when it is not one. */
export function eventPosition(id: string, field = 'after'): number {
  const match = EVENT_ID.exec(id);
  if (!match) throw invalidParam(field, 'is not an event id (the id of an event, such as 1733356800000-42)');
  return Number(match[3]);
}

/** The partition whose log holds an event (0 for an unqualified id). */
export function eventPartition(id: string): number {
  return Number(EVENT_ID.exec(id)?.[1] ?? 0);
}

/**
 * A replay cursor (ROOM_PARTITIONS > 1): the last position read in each
 * partition, `c1.<p0>.<p1>...` (base36, 0 = nothing read there yet). Positions
 * follow the clock across partitions, so an event id alone cannot say where
 * a reader stands in every partition: an event appended later in another
 * partition may carry a smaller position than one already read. The cursor
 * resumes each partition exactly after its own last read position.
 */
const CURSOR = /^c1((?:\.[0-9a-z]{1,11}){1,1024})$/;

/** `c1.<base36 positions>`, one per partition. */
export function encodeCursor(positions: readonly number[]): string {
  return `c1.${positions.map((n) => n.toString(36)).join('.')}`;
}

/** Whether `value` has the form of a replay cursor (not whether it fits this deployment). */
export const isCursor = (value: string): boolean => value.startsWith('c1.');

/** The positions of a cursor; code 1 naming `field` when it is malformed or not one per partition. */
export function decodeCursor(value: string, field = 'after'): number[] {
  // HTTP 400 like the admin API's other malformed parameters (a cursor's form is checked here, not by the route).
  const refuse = (why: string) => new AppError(Code.INVALID_PARAM, `${field} ${why}`, 400);
  const match = CURSOR.exec(value);
  if (!match) throw refuse('is not a replay cursor (pass back the `next` of a previous read)');
  const positions = match[1]!.slice(1).split('.').map((part) => parseInt(part, 36));
  if (positions.length !== roomPartitions()) throw refuse(`is a cursor for ${positions.length} partitions, not ${roomPartitions()} (ROOM_PARTITIONS changed?)`);
  if (positions.some((n) => !Number.isSafeInteger(n))) throw refuse('holds a position out of range');
  return positions;
}

/**
 * Where a read starts in each partition: the last position already read
 * there. From a cursor exactly; from an event id by position, best effort
 * (the merged order: partitions after the id's take its position too).
 */
function startPositions(after: string | undefined): number[] {
  if (after === undefined) return allPartitions().map(() => 0);
  if (isCursor(after)) return decodeCursor(after);
  const position = eventPosition(after);
  const partition = eventPartition(after);
  return allPartitions().map((p) => (p > partition ? position - 1 : position));
}

export interface ReadOptions {
  /** Only events after this: an event id, or (ROOM_PARTITIONS > 1) a cursor from `next` (default: from the oldest kept). */
  after?: string;
  /** Only this room's events. */
  room?: EventRoom;
  /** At most this many events (1..1000). */
  limit: number;
}

export interface EventPage {
  events: RoomEvent[];
  /**
   * Where to continue: pass it as `after` for the next page (the last event
   * examined, which with a room filter may be past the last one returned);
   * `after` itself (or null) when nothing newer exists yet. With
   * ROOM_PARTITIONS > 1 a cursor (`c1....`: the last position read in each
   * partition), so nothing appended later in any partition is skipped.
   */
  next: string | null;
}

/**
 * Events in log order (per room: seq order). With a room filter it examines
 * at most 10,000 events per call; `next` then lets the caller continue.
 */
export async function readEvents(rt: Runtime, options: ReadOptions): Promise<EventPage> {
  const { after, room, limit } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) throw invalidParam('limit', `must be an integer from 1 to ${MAX_READ_LIMIT}`);
  if (room) checkRoom(room);
  // The partitions' logs (ROOM_PARTITIONS) merge by (position, partition):
  // positions follow the clock there (helpers/events.lua). A room's events
  // are all in its partition, so a room filter reads that log alone. Each
  // partition is read after its own last read position (`read`), so an event
  // appended there later with a smaller position than one read elsewhere is
  // still read: positions only grow within a partition.
  const prefix = rt.config.keyPrefix;
  const partitions = room ? [eventRoomPartition(room)] : allPartitions();
  const read = startPositions(after);
  let lastId: string | undefined;
  const events: RoomEvent[] = [];
  for (let scanned = 0; events.length < limit && scanned < MAX_SCAN; ) {
    const chunk = room ? SCAN_CHUNK : limit - events.length;
    // Each partition's next `chunk` after its position; the merged first `chunk` are exact.
    const heads = await Promise.all(
      partitions.map(async (p) => {
        const members = await storeCall(rt.redis.zrangebyscore(eventLogKey(prefix, p), `(${read[p]}`, '+inf', 'WITHSCORES', 'LIMIT', 0, chunk));
        const out: { p: number; position: number; member: string }[] = [];
        for (let i = 0; i + 1 < members.length; i += 2) out.push({ p, position: Number(members[i + 1]), member: members[i]! });
        return out;
      }),
    );
    const merged = heads
      .flat()
      .sort((a, b) => a.position - b.position || a.p - b.p)
      .slice(0, chunk);
    for (const { member, position, p } of merged) {
      const event = JSON.parse(member) as RoomEvent;
      lastId = event.id;
      read[p] = position;
      scanned++;
      if (room && (event.roomType !== room.type || event.roomID !== room.id)) continue;
      events.push(event);
      if (events.length === limit) break;
    }
    if (merged.length < chunk) break;
  }
  if (roomPartitions() === 1) return { events, next: lastId ?? after ?? null };
  return { events, next: lastId === undefined && after === undefined ? null : encodeCursor(read) };
}

/** Events a page holds when the caller names no limit. */
export const DEFAULT_READ_LIMIT = 100;

/** `<roomType>/<roomID>` (the admin API's `room` query parameter; `service/-` for service-wide events) -> EventRoom; code 1 naming `room` otherwise. */
export function parseEventRoom(value: string): EventRoom {
  const slash = value.indexOf('/');
  if (slash < 1) throw invalidParam('room', 'must be <roomType>/<roomID>');
  const room = { type: value.slice(0, slash), id: value.slice(slash + 1) } as EventRoom;
  checkRoom(room);
  return room;
}

function checkRoom(room: EventRoom): void {
  if (room.type === SERVICE_EVENTS) {
    const loss = LOSS_ROOM.exec(room.id);
    if (room.id !== '-' && !(loss && serviceRoomPartition(room.id) < roomPartitions() && (loss[1] === undefined) === (roomPartitions() === 1))) {
      throw invalidParam('room', `must be service/- (service-wide events) or ${roomPartitions() === 1 ? 'service/log' : 'service/log.<partition>'} (events_lost)`);
    }
    return;
  }
  if (!(ROOM_TYPES as readonly string[]).includes(room.type)) throw invalidParam('room', `type must be one of ${[...ROOM_TYPES, SERVICE_EVENTS].join(', ')}`);
  if (room.id === '' || room.id.length > 128) throw invalidParam('room', 'id is missing or too long');
}

/** Fields every event has; `appendEvent`'s extra fields may not use them. */
const BASE_FIELDS = new Set(['id', 'type', 'roomType', 'roomID', 'seq', 'time', 'userID', 'reason']);
const EVENT_TYPE = /^[a-z][a-z_]{0,39}$/;

/**
 * Appends one event that no room script appends: the admin plane's actions
 * (`admin_kick`, `admin_dismiss`, `admin_info`, `admin_ban`, `admin_unban`,
 * `admin_redrive`, ...). On a room it takes the room's next seq (the room
 * need not exist); `SERVICE_ROOM` for service-wide ones. `fields`: userID,
 * reason and any other JSON fields. Answers the event's id. One round trip.
 */
export async function appendEvent(rt: Runtime, room: EventRoom, type: string, fields: Record<string, unknown> = {}): Promise<string> {
  if (!EVENT_TYPE.test(type)) throw new Error(`event type ${JSON.stringify(type)} must be a-z and _`);
  checkRoom(room);
  const { userID, reason, ...more } = fields;
  for (const name of Object.keys(more)) if (BASE_FIELDS.has(name)) throw new Error(`event field ${name} is set by the log`);
  if (userID !== undefined && typeof userID !== 'string') throw new Error('event userID must be a string');
  if (reason !== undefined && typeof reason !== 'string') throw new Error('event reason must be a string');
  // JSON object members without the braces: the script splices them after the base fields.
  const data = Object.keys(more).length > 0 ? JSON.stringify(more).slice(1, -1) : '';
  return rt.rooms.appendEvent(room.type, room.id, type, { userID, reason, data });
}
