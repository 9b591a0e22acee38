/**
 * The newest events of the log (`GET /admin/events?last=n`), for a reader that
 * starts at the present: the ops dashboard shows recent events newest first,
 * then follows the log forward with `after`. Reading forward from the oldest
 * event (readEvents) would mean paging through up to EVENT_LOG_MAX_LEN events
 * first. The log's layout and event form are log.ts's; this reads it backwards.
 */
import { storeCall } from '../redis';
import { eventLogKey } from '../rooms/keys';
import type { Runtime } from '../runtime';
import { eventPosition, type EventPage, type EventRoom, type RoomEvent } from './log';

/** Events examined at most per call with a room filter (as readEvents), in chunks of one round trip each. */
const MAX_SCAN = 10_000;
const SCAN_CHUNK = 1000;

/**
 * The newest `limit` events (of one room, if given; then among the newest
 * 10,000 of the log), in log order like readEvents. `next` is the newest id
 * in the log when read, whatever the filter, so `after: next` continues with
 * exactly the events appended since; null when the log is empty.
 */
export async function readLatestEvents(rt: Runtime, options: { room?: EventRoom; limit: number }): Promise<EventPage> {
  const { room, limit } = options;
  const key = eventLogKey(rt.config.keyPrefix);
  const newestFirst: RoomEvent[] = [];
  let next: string | null = null;
  let to = '+inf';
  for (let scanned = 0; newestFirst.length < limit && scanned < MAX_SCAN; ) {
    const chunk = room ? SCAN_CHUNK : limit - newestFirst.length;
    const members = await storeCall(rt.redis.zrevrangebyscore(key, to, '-inf', 'LIMIT', 0, chunk));
    let last: RoomEvent | undefined;
    for (const member of members) {
      last = JSON.parse(member) as RoomEvent;
      next ??= last.id;
      scanned++;
      if (room && (last.roomType !== room.type || last.roomID !== room.id)) continue;
      newestFirst.push(last);
      if (newestFirst.length === limit) break;
    }
    if (members.length < chunk || !last) break;
    to = `(${eventPosition(last.id)}`;
  }
  return { events: newestFirst.reverse(), next };
}
