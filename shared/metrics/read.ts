/**
 * Reading the metrics back: the running totals and the per-minute hashes,
 * summed over the partitions (each partition's scripts and each container's
 * flushes write to their own), and the gauges read at scrape time.
 */
import { ROOM_TYPES, type RoomType } from '../config';
import { storeCall } from '../redis';
import { allPartitions } from '../rooms/partitions';
import type { Runtime } from '../services';
import { metricsMinuteKey, metricsTotalKey } from './keys';
import type { RoomCursor } from '../rooms/admin-store';

export type Counts = Map<string, number>;

function addInto(into: Counts, hash: Record<string, string>): void {
  for (const [name, value] of Object.entries(hash)) into.set(name, (into.get(name) ?? 0) + Number(value));
}

/** The running totals of every partition, summed. */
export async function readTotals(rt: Runtime): Promise<Counts> {
  const hashes = await Promise.all(allPartitions().map((p) => storeCall(rt.redis.hgetall(metricsTotalKey(rt.config.keyPrefix, p)))));
  const totals: Counts = new Map();
  for (const hash of hashes) addInto(totals, hash);
  return totals;
}

/** Each minute's counts from `fromMinute` to `toMinute` (inclusive), summed over `partitions` (default all); absent minutes are empty. */
export async function readMinutes(rt: Runtime, fromMinute: number, toMinute: number, partitions = allPartitions()): Promise<Map<number, Counts>> {
  const minutes = Array.from({ length: Math.max(0, toMinute - fromMinute + 1) }, (_, i) => fromMinute + i);
  const out = new Map<number, Counts>(minutes.map((m) => [m, new Map()]));
  await Promise.all(
    partitions.flatMap((p) =>
      minutes.map(async (m) => addInto(out.get(m)!, await storeCall(rt.redis.hgetall(metricsMinuteKey(rt.config.keyPrefix, m, p))))),
    ),
  );
  return out;
}

export interface LiveCounts {
  rooms: number;
  pushers: number;
  audience: number;
}

/** Rooms read per admin page while counting (the admin room list's page script: O(page) each). */
const GAUGE_PAGE = 1000;

/**
 * Entered rooms, their live seats and audience per room type, now: the admin
 * room list walked page by page (O(rooms) per scrape, a few round trips per
 * 1,000 rooms). Read at scrape time only, never on a request path.
 */
export async function readLiveCounts(rt: Runtime): Promise<Record<RoomType, LiveCounts>> {
  const out = Object.fromEntries(ROOM_TYPES.map((t) => [t, { rooms: 0, pushers: 0, audience: 0 }])) as Record<RoomType, LiveCounts>;
  let after: RoomCursor | undefined;
  do {
    const page = await rt.admin.roomPage(ROOM_TYPES, GAUGE_PAGE, after);
    for (const room of page.rooms) {
      out[room.roomType].rooms++;
      out[room.roomType].pushers += room.pushers;
      out[room.roomType].audience += room.audience;
    }
    after = page.next;
  } while (after);
  return out;
}
