/**
 * GET /admin/usage: per time bucket (UTC hour or day) and room type, how
 * much the service was used: room-, pusher- and audience-minutes, peak
 * concurrent rooms and pushers, rooms started and distinct users present.
 *
 * Computed from the room event log, which holds every start and end with
 * the moment it happened (a pusher that timed out ends at its missed
 * heartbeat deadline, `heartbeatDeadline`, not when the sweeper noticed),
 * so the figures are exact to the millisecond for what the log retains
 * (EVENT_LOG_MAX_AGE_SECONDS, EVENT_LOG_MAX_LEN). A stay whose start was
 * already trimmed is counted from the oldest retained event (a lower
 * bound); a stay still open is counted up to now.
 */
import type { RoomType } from '../config';
import { readEvents, type RoomEvent, MAX_READ_LIMIT } from '../events/log';
import type { Runtime } from '../services';

export type UsageBucket = 'hour' | 'day';

export interface UsageRow {
  /** The bucket's start, ISO 8601 UTC. */
  start: string;
  roomType: RoomType;
  roomMinutes: number;
  pusherMinutes: number;
  audienceMinutes: number;
  peakRooms: number;
  peakPushers: number;
  roomsStarted: number;
  distinctUsers: number;
}

export interface Usage {
  from: string;
  to: string;
  bucket: UsageBucket;
  /** The oldest event the log still holds (ISO), or null when it is empty: figures before it are lower bounds. */
  retainedFrom: string | null;
  rows: UsageRow[];
}

const BUCKET_MS: Record<UsageBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/** Buckets one request may ask for. */
export const MAX_USAGE_BUCKETS = 1000;

/** The start of the bucket holding `ms` (UTC). */
export const bucketStart = (ms: number, bucket: UsageBucket) => Math.floor(ms / BUCKET_MS[bucket]) * BUCKET_MS[bucket];

type Kind = 'room' | 'pusher' | 'audience';

interface Stay {
  kind: Kind;
  type: RoomType;
  user?: string;
  start: number;
  end: number;
}

/** Every event the log holds, oldest first (all partitions merged). */
async function allEvents(rt: Runtime): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readEvents(rt, { after, limit: MAX_READ_LIMIT });
    events.push(...page.events);
    if (page.events.length < MAX_READ_LIMIT || page.next === null) return events;
    after = page.next;
  }
}

const OPENS: Record<string, Kind> = { room_started: 'room', pusher_joined: 'pusher', audience_joined: 'audience' };
const CLOSES: Record<string, Kind> = { room_finished: 'room', pusher_left: 'pusher', audience_left: 'audience' };

/** The stays (a room's life, a pusher's seat, an audience member's visit) the log tells, each with its start and end. */
function staysOf(events: RoomEvent[], now: number): { stays: Stay[]; started: RoomEvent[]; retainedFrom: number | undefined } {
  const open = new Map<string, Stay>();
  const stays: Stay[] = [];
  const started: RoomEvent[] = [];
  const retainedFrom = events[0]?.time;
  for (const e of events) {
    const kind = OPENS[e.type] ?? CLOSES[e.type];
    if (!kind) continue;
    const type = e.roomType as RoomType;
    const key = `${kind}|${type}|${e.roomID}|${kind === 'room' ? '' : (e.userID ?? '')}`;
    if (OPENS[e.type]) {
      if (e.type === 'room_started') started.push(e);
      // A repeated join (a member re-adding) keeps the first start.
      if (!open.has(key)) open.set(key, { kind, type, user: e.userID, start: e.time, end: Number.POSITIVE_INFINITY });
      continue;
    }
    // A pusher that timed out left at its missed deadline.
    const deadline = Number((e as { heartbeatDeadline?: unknown }).heartbeatDeadline);
    const end = e.reason === 'heartbeat_timeout' && Number.isFinite(deadline) ? Math.min(deadline, e.time) : e.time;
    const stay = open.get(key) ?? { kind, type, user: e.userID, start: retainedFrom ?? e.time, end };
    open.delete(key);
    stay.end = Math.max(stay.start, end);
    stays.push(stay);
  }
  for (const stay of open.values()) stays.push({ ...stay, end: Math.max(stay.start, now) });
  return { stays, started, retainedFrom };
}

/** Usage from `from` to `to` (ms; `from` is moved back to its bucket's start), per bucket and room type. */
export async function usage(rt: Runtime, options: { from: number; to: number; bucket: UsageBucket; now?: number }): Promise<Usage> {
  const { bucket, to } = options;
  const size = BUCKET_MS[bucket];
  const from = bucketStart(options.from, bucket);
  const { stays, started, retainedFrom } = staysOf(await allEvents(rt), options.now ?? Date.now());
  const round = (minutes: number) => Math.round(minutes * 1e4) / 1e4;
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    bucket,
    retainedFrom: retainedFrom === undefined ? null : new Date(retainedFrom).toISOString(),
    rows: tabulate(stays, started, from, size, to).map((row) => ({
      ...row,
      roomMinutes: round(row.roomMinutes),
      pusherMinutes: round(row.pusherMinutes),
      audienceMinutes: round(row.audienceMinutes),
    })),
  };
}

/**
 * Peak concurrent rooms and pushers (all room types together) per minute
 * from `from` (ms, a minute start) to `to`: the dashboard's room chart.
 */
export async function usageByMinute(rt: Runtime, from: number, to: number): Promise<{ rooms: number[]; pushers: number[] }> {
  const { stays, started } = staysOf(await allEvents(rt), to);
  const all = (type: string) => (type === '' ? '' : 'all') as RoomType;
  const rows = tabulate(
    stays.map((s) => ({ ...s, type: all(s.type) })),
    started.map((e) => ({ ...e, roomType: all(e.roomType) })),
    from,
    60_000,
    to,
    ['all' as RoomType],
  );
  return { rooms: rows.map((r) => r.peakRooms), pushers: rows.map((r) => r.peakPushers) };
}

/** The rows of buckets of `size` ms from `from` until `to`, per room type (`types`: these, even without any stay). */
function tabulate(stays: Stay[], started: RoomEvent[], from: number, size: number, to: number, types?: RoomType[]): UsageRow[] {
  const count = Math.max(1, Math.ceil((to - from) / size));
  types ??= [...new Set(stays.map((s) => s.type).concat(started.map((e) => e.roomType as RoomType)))].sort();
  const rows = new Map<string, UsageRow & { users: Set<string> }>();
  const rowOf = (i: number, type: RoomType) => {
    const key = `${i}|${type}`;
    let row = rows.get(key);
    if (!row) {
      row = { start: new Date(from + i * size).toISOString(), roomType: type, roomMinutes: 0, pusherMinutes: 0, audienceMinutes: 0, peakRooms: 0, peakPushers: 0, roomsStarted: 0, distinctUsers: 0, users: new Set() };
      rows.set(key, row);
    }
    return row;
  };
  for (let i = 0; i < count; i++) for (const type of types) rowOf(i, type);
  const end = Math.min(to, from + count * size);
  const minutesField = { room: 'roomMinutes', pusher: 'pusherMinutes', audience: 'audienceMinutes' } as const;
  for (const stay of stays) {
    const a = Math.max(stay.start, from);
    const b = Math.min(stay.end, end);
    if (b < a || (b === a && stay.end !== stay.start)) continue;
    for (let i = Math.floor((a - from) / size); i < count && from + i * size <= b; i++) {
      const lo = Math.max(a, from + i * size);
      const hi = Math.min(b, from + (i + 1) * size);
      if (hi < lo || (hi === lo && stay.end !== stay.start)) continue;
      const row = rowOf(i, stay.type);
      row[minutesField[stay.kind]] += (hi - lo) / 60_000;
      if (stay.kind !== 'room' && stay.user !== undefined) row.users.add(stay.user);
    }
  }
  for (const e of started) if (e.time >= from && e.time < end) rowOf(Math.floor((e.time - from) / size), e.roomType as RoomType).roomsStarted++;
  for (const type of types) {
    for (const kind of ['room', 'pusher'] as const) {
      // Sweep over starts (+1) and ends (-1), ends first at the same moment: a hand-over is not a peak.
      const points = stays
        .filter((s) => s.type === type && s.kind === kind)
        .flatMap((s) => [
          { at: s.start, d: 1 },
          { at: s.end, d: -1 },
        ])
        .sort((x, y) => x.at - y.at || x.d - y.d);
      const field = kind === 'room' ? 'peakRooms' : 'peakPushers';
      let level = 0;
      let p = 0;
      for (let i = 0; i < count; i++) {
        const lo = from + i * size;
        const hi = Math.min(from + (i + 1) * size, end);
        while (p < points.length && points[p]!.at <= lo) level += points[p++]!.d;
        let peak = level;
        while (p < points.length && points[p]!.at < hi) {
          level += points[p++]!.d;
          peak = Math.max(peak, level);
        }
        rowOf(i, type)[field] = peak;
      }
    }
  }
  return [...rows.values()]
    .sort((x, y) => x.start.localeCompare(y.start) || x.roomType.localeCompare(y.roomType))
    .map(({ users, ...row }) => ({ ...row, distinctUsers: users.size }));
}

const CSV_COLUMNS = ['start', 'roomType', 'roomMinutes', 'pusherMinutes', 'audienceMinutes', 'peakRooms', 'peakPushers', 'roomsStarted', 'distinctUsers'] as const;

/** The rows as CSV (RFC 4180; no field needs quoting: dates, room types and numbers). */
export const usageCsv = (u: Usage) => [CSV_COLUMNS.join(','), ...u.rows.map((r) => CSV_COLUMNS.map((c) => String(r[c])).join(','))].join('\r\n') + '\r\n';
