/**
 * Redis key names. Every key of the service's room state shares the hash tag
 * `{rooms}`: one Cluster slot, so each room script, the room lists, the
 * deadline indexes, the sessions and the cross-type room id check are atomic
 * together (README "Data layout" explains the trade).
 */
import { ROOM_TYPES, type RoomType } from '../config';

export interface RoomKeys {
  session: string;
  room: string;
  pushers: string;
  beats: string;
  custom: string;
  audience: string;
  list: string;
  due: string;
  outbox: string;
  /** The same room id in the other room types: IM group ids are one namespace. */
  otherTypes: [string, string];
}

const slot = (prefix: string) => `${prefix}:{rooms}:`;

/** Prefix of every key of one room type, e.g. `rs:{rooms}:multi_room:`. */
export const partitionBase = (prefix: string, type: RoomType) => `${slot(prefix)}${type}:`;

export const sessionKey = (prefix: string, sessionId: string) => `${slot(prefix)}s:${sessionId}`;

/** A live stream's record: the seat pushing it and the push/stop callbacks already handled. */
export const streamKey = (prefix: string, streamId: string) => `${slot(prefix)}st:${streamId}`;

/** A user's live sessions (sorted set: session id by expiry), for the per-user cap. */
export const userSessionsKey = (prefix: string, userId: string) => `${slot(prefix)}u:${userId}`;

export function roomKeys(prefix: string, type: RoomType, roomId: string, sessionId: string): RoomKeys {
  const base = partitionBase(prefix, type);
  const others = ROOM_TYPES.filter((t) => t !== type).map((t) => `${partitionBase(prefix, t)}r:${roomId}`);
  return {
    session: sessionKey(prefix, sessionId),
    room: `${base}r:${roomId}`,
    pushers: `${base}p:${roomId}`,
    beats: `${base}b:${roomId}`,
    custom: `${base}c:${roomId}`,
    audience: `${base}a:${roomId}`,
    list: `${base}list`,
    due: `${base}due`,
    outbox: `${base}outbox`,
    otherTypes: [others[0]!, others[1]!],
  };
}

/** KEYS in the order the scripts expect (scripts.ts header). */
export const keyList = (k: RoomKeys) => [k.session, k.room, k.pushers, k.beats, k.custom, k.audience, k.list, k.due, k.outbox, ...k.otherTypes];
