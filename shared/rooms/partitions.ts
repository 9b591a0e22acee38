/**
 * Room partitions (ROOM_PARTITIONS): how room state spreads over the masters
 * of a Redis Cluster. Each partition is one hash tag, so one Cluster slot:
 * every script runs inside one partition and stays atomic there.
 *
 * - N = 1 (default): the tag is `rooms`, i.e. today's key names and data.
 * - N > 1: partition k's tag is the first `rooms.k.<i>` (i = 0, 1, ...) whose
 *   CRC16 slot falls in the k-th N-th of the 16384 slots. Evenly spread tags
 *   land ~N/M partitions on each of M masters that hold contiguous, equal
 *   slot ranges (what `redis-cli --cluster create` makes); random tags would
 *   not (16 random tags over 3 masters are rarely within 10% of a third).
 *   The search costs a few N CRC16s once per process and is deterministic,
 *   so every function of a deployment names the same keys.
 *
 * A room's partition depends on its id alone (FNV-1a of the id, mod N), so
 * the same id in every room type shares a partition: the cross-type id rule
 * stays one atomic script.
 *
 * N is fixed for a deployment's data: changing it moves rooms to other
 * partitions (docs/data-layout.md, migration note).
 */
import { crc16Slot } from './crc16';

const SLOTS = 16384;
const MAX_PARTITIONS = 1024;

let count: number | undefined;
const tags: string[] = [];

function parseCount(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) throw new Error(`ROOM_PARTITIONS must be an integer from 1 to ${MAX_PARTITIONS}`);
  return n;
}

/** The number of partitions: ROOM_PARTITIONS, read once (key names must not change under a running process). */
export function roomPartitions(): number {
  count ??= parseCount(process.env.ROOM_PARTITIONS);
  return count;
}

/** Tests and tools only: use `n` partitions from now on (config.ts validates the variable). */
export function setRoomPartitions(n: number): void {
  count = parseCount(String(n));
  tags.length = 0;
}

/** 0 .. N-1. */
export const allPartitions = (): number[] => Array.from({ length: roomPartitions() }, (_, k) => k);

/** The hash tag (without braces) of partition `p`. */
export function partitionTag(p: number): string {
  const n = roomPartitions();
  if (n === 1) return 'rooms';
  if (tags.length === 0) {
    for (let k = 0; k < n; k++) {
      const lo = Math.ceil((k * SLOTS) / n);
      const hi = Math.ceil(((k + 1) * SLOTS) / n);
      // Centre of the k-th range is the target; the first tag within the range wins.
      for (let i = 0; ; i++) {
        const tag = `rooms.${k}.${i}`;
        const s = crc16Slot(tag);
        if (s >= lo && s < hi) {
          tags.push(tag);
          break;
        }
      }
    }
  }
  const tag = tags[p];
  if (tag === undefined) throw new Error(`partition ${p} is outside 0..${n - 1}`);
  return tag;
}

/** The partition of a room id (or a user id: the user's home partition). */
export function partitionOf(id: string): number {
  const n = roomPartitions();
  if (n === 1) return 0;
  // FNV-1a over the UTF-16 code units: cheap, stable, spreads short ids well.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}
