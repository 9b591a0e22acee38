/**
 * Redis memory of one full multi_room (4 pushers), made through the handlers:
 * MEMORY USAGE of each of the room's keys, plus its room-list and deadline-index
 * entries estimated from the 100,000-room partition (index bytes / entries).
 */
import type { RoomType } from '../../shared/config';
import { roomKeys, streamKey } from '../../shared/rooms/keys';
import { adminClient, Bed } from '../lib/bed';
import { round } from '../lib/stats';

export interface MemoryResult {
  roomKeys: Record<string, number>;
  roomKeysBytes: number;
  listEntryBytes: number;
  dueEntryBytes: number;
  totalBytes: number;
  sessionBytesPerUser: number;
}

export async function indexEntryBytes(bed: Bed, type: RoomType): Promise<{ list: number; due: number }> {
  const admin = adminClient();
  const k = roomKeys(bed.prefix, type, '-');
  const per = async (key: string) => {
    const bytes = Number(await admin.memory('USAGE', key, 'SAMPLES', 0));
    const entries = await admin.zcard(key);
    return entries > 0 ? bytes / entries : 0;
  };
  return { list: await per(k.list), due: await per(k.due) };
}

export async function runMemory(bed: Bed, index: { list: number; due: number }): Promise<MemoryResult> {
  const admin = adminClient();
  bed.use();
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await bed.signIn(`mem_user_${i}`));
  const roomID = 'room_5f3a9c1e_7b2d';
  await bed.call(users[0]!, 'multi_room', 'create_room', { roomID, roomInfo: '{"title":"Weekly sync","cover":"https://example.com/cover.png"}' });
  for (const user of users) await bed.join(user, 'multi_room', roomID);

  const k = roomKeys(bed.prefix, 'multi_room', roomID);
  const perKey: Record<string, number> = {};
  // seq: the room's event sequence number (it outlives the room; its events are the log's, measured in the webhooks section).
  for (const [name, key] of Object.entries({ room: k.room, pushers: k.pushers, beats: k.beats, custom: k.custom, audience: k.audience, seq: k.seq })) {
    const bytes = await admin.memory('USAGE', key, 'SAMPLES', 0);
    if (bytes !== null) perKey[name] = Number(bytes);
  }
  // Each seat's stream record (push/stop callbacks find the seat through it).
  perKey.streams = 0;
  for (const stream of (await admin.hkeys(k.room)).filter((f) => f.startsWith('s:'))) {
    perKey.streams += Number((await admin.memory('USAGE', streamKey(bed.prefix, (await admin.hget(k.room, stream))!), 'SAMPLES', 0)) ?? 0);
  }
  const roomKeysBytes = Object.values(perKey).reduce((a, b) => a + b, 0);

  // Sessions are per user, not per room: one copy per room-type partition.
  const sessionKeys: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${bed.prefix}:*s:*`, 'COUNT', 1000);
    cursor = next;
    sessionKeys.push(...keys.filter((key) => /\}:s:/.test(key)));
  } while (cursor !== '0');
  let sessionBytes = 0;
  for (const key of sessionKeys) sessionBytes += Number((await admin.memory('USAGE', key, 'SAMPLES', 0)) ?? 0);

  return {
    roomKeys: perKey,
    roomKeysBytes,
    listEntryBytes: round(index.list, 1),
    dueEntryBytes: round(index.due, 1),
    totalBytes: round(roomKeysBytes + index.list + index.due, 0),
    sessionBytesPerUser: round(sessionBytes / Math.max(1, users.length), 0),
  };
}
