/**
 * The newest events of the log (`GET /admin/events?last=n`), for a reader that
 * starts at the present: the ops dashboard shows recent events newest first,
 * then follows the log forward with `after`. Reading forward from the oldest
 * event (readEvents) would mean paging through up to EVENT_LOG_MAX_LEN events
 * first. The log's layout and event form are log.ts's; this reads it backwards.
 */
import { storeCall } from '../redis';
import { allPartitions, eventLogKey, roomPartitions } from '../rooms/keys';
import type { Runtime } from '../services';
import { encodeCursor, eventRoomPartition, type EventPage, type EventRoom, type RoomEvent } from './log';

/** Events examined at most per call with a room filter (as readEvents), in chunks of one round trip each. */
const MAX_SCAN = 10_000;
const SCAN_CHUNK = 1000;

/**
 * The newest `limit` events (of one room, if given; then among the newest
 * 10,000 of the log), in log order like readEvents. `next` is the newest id
 * in the log when read, whatever the filter, so `after: next` continues with
 * exactly the events appended since; null when the log is empty. With
 * ROOM_PARTITIONS > 1 `next` is a cursor (log.ts decodeCursor): the newest
 * position of every partition's log, read in the same round trip as the
 * events of an unfiltered read, so following it misses nothing.
 */
export async function readLatestEvents(rt: Runtime, options: { room?: EventRoom; limit: number }): Promise<EventPage> {
  const { room, limit } = options;
  // Partitioned logs (ROOM_PARTITIONS) merge by (position, partition), as in readEvents; a room's are in one.
  const prefix = rt.config.keyPrefix;
  const partitions = room ? [eventRoomPartition(room)] : allPartitions();
  const newestFirst: RoomEvent[] = [];
  let next: string | null = null;
  let before: { position: number; partition: number } | undefined;
  // Each partition's newest position when first read (0: empty), for the cursor.
  const newest = allPartitions().map(() => 0);
  for (let scanned = 0; newestFirst.length < limit && scanned < MAX_SCAN; ) {
    const chunk = room ? SCAN_CHUNK : limit - newestFirst.length;
    const heads = await Promise.all(
      partitions.map(async (p) => {
        const to = before === undefined ? '+inf' : p < before.partition ? String(before.position) : `(${before.position}`;
        const members = await storeCall(rt.redis.zrevrangebyscore(eventLogKey(prefix, p), to, '-inf', 'WITHSCORES', 'LIMIT', 0, chunk));
        const out: { p: number; position: number; member: string }[] = [];
        for (let i = 0; i + 1 < members.length; i += 2) out.push({ p, position: Number(members[i + 1]), member: members[i]! });
        return out;
      }),
    );
    const merged = heads
      .flat()
      .sort((a, b) => b.position - a.position || b.p - a.p)
      .slice(0, chunk);
    if (before === undefined) for (const head of heads) if (head[0]) newest[head[0].p] = head[0].position;
    for (const { member, position, p } of merged) {
      const event = JSON.parse(member) as RoomEvent;
      next ??= event.id;
      before = { position, partition: p };
      scanned++;
      if (room && (event.roomType !== room.type || event.roomID !== room.id)) continue;
      newestFirst.push(event);
      if (newestFirst.length === limit) break;
    }
    if (merged.length < chunk) break;
  }
  if (roomPartitions() > 1) {
    // The partitions a room filter did not read: their newest positions now (none of their events is shown).
    if (partitions.length < roomPartitions()) {
      const others = allPartitions().filter((p) => !partitions.includes(p));
      const tops = await Promise.all(others.map((p) => storeCall(rt.redis.zrange(eventLogKey(prefix, p), -1, -1, 'WITHSCORES'))));
      for (const [i, top] of tops.entries()) if (top.length >= 2) newest[others[i]!] = Number(top[1]);
    }
    return { events: newestFirst.reverse(), next: newest.some((n) => n > 0) ? encodeCursor(newest) : null };
  }
  return { events: newestFirst.reverse(), next };
}
