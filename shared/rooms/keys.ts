/**
 * Redis key names. All keys of one room type share the hash tag `{roomType}`:
 * one Cluster slot per room type, so every room script, its room list and its
 * deadline index are atomic together (README "Data layout" explains the trade).
 */
import type { RoomType } from '../config';

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
}

/** Prefix shared by every key of one room-type partition, e.g. `rs:{multi_room}:`. */
export const partitionBase = (prefix: string, type: RoomType) => `${prefix}:{${type}}:`;

export const sessionKey = (prefix: string, type: RoomType, sessionId: string) => `${partitionBase(prefix, type)}s:${sessionId}`;

export function roomKeys(prefix: string, type: RoomType, roomId: string, sessionId: string): RoomKeys {
  const base = partitionBase(prefix, type);
  return {
    session: `${base}s:${sessionId}`,
    room: `${base}r:${roomId}`,
    pushers: `${base}p:${roomId}`,
    beats: `${base}b:${roomId}`,
    custom: `${base}c:${roomId}`,
    audience: `${base}a:${roomId}`,
    list: `${base}list`,
    due: `${base}due`,
    outbox: `${base}outbox`,
  };
}

/** KEYS in the order the scripts expect (scripts.ts header). */
export const keyList = (k: RoomKeys) => [k.session, k.room, k.pushers, k.beats, k.custom, k.audience, k.list, k.due, k.outbox];
