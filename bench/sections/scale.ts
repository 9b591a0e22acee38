/**
 * How get_room_list and the sweeper scale with the number of rooms.
 *   list:  get_room_list(0, 20) through its handler, 100,000 rooms vs 100 rooms
 *   sweep: sweep(rt) with exactly 100 due rooms among 100,000 vs among 1,000
 *   admin: a GET /admin/rooms page (50 rooms, the store's script), 100,000 rooms vs 100
 * Rooms are written straight into Redis (lib/populate.ts) after a shape check
 * against a room made through the handlers.
 */
import { main_handler as getRoomList } from '../../functions/get_room_list';
import { sweep } from '../../shared/rooms/sweeper';
import { roomKeys } from '../../shared/rooms/keys';
import { adminClient, apiEvent, Bed, fakeCloud, type User } from '../lib/bed';
import { range, roomIdAt, roomShape, writeRooms, type RoomSpec } from '../lib/populate';
import { median, percentile, round } from '../lib/stats';

export const BIG = 100_000;
export const LIST_SMALL = 100;
export const SWEEP_SMALL = 1_000;
export const DUE = 100;
const HOUR = 3_600_000;

export interface ScaleBeds {
  big: Bed;
  listSmall: Bed;
  sweepSmall: Bed;
  populateMs: number;
  shape: { reference: Record<string, string>; populated: Record<string, string>; same: boolean };
}

const live = (i: number): RoomSpec => ({ index: i, deadline: Date.now() + HOUR + (i % 1000) });

export async function populate(): Promise<ScaleBeds> {
  const admin = adminClient();
  const [big, listSmall, sweepSmall] = [await Bed.open('big'), await Bed.open('list'), await Bed.open('sweep')];

  // Shape check: a room made by the handlers vs one written by populate.
  const shapeBed = listSmall.use();
  const creator = await shapeBed.signIn('shape_a');
  await shapeBed.join(creator, 'multi_room', 'shape_room');
  await shapeBed.join(await shapeBed.signIn('shape_b'), 'multi_room', 'shape_room');
  const reference = await roomShape(admin, listSmall.prefix, 'multi_room', 'shape_room');
  await shapeBed.call(creator, 'multi_room', 'destroy_room', { roomID: 'shape_room' });

  const started = performance.now();
  const base = Date.now() - HOUR;
  await writeRooms(admin, big.rt, 'multi_room', range(0, BIG, live), base);
  await writeRooms(admin, listSmall.rt, 'multi_room', range(0, LIST_SMALL, live), base);
  await writeRooms(admin, sweepSmall.rt, 'multi_room', range(0, SWEEP_SMALL, live), base);
  const populateMs = performance.now() - started;

  const populated = await roomShape(admin, big.prefix, 'multi_room', roomIdAt(1));
  const same = JSON.stringify(reference) === JSON.stringify(populated);
  if (!same) throw new Error(`populated rooms differ from handler-made rooms:\n handler: ${JSON.stringify(reference)}\n populate: ${JSON.stringify(populated)}`);
  const listed = await admin.zcard(roomKeys(big.prefix, 'multi_room', '-').list);
  if (listed !== BIG) throw new Error(`expected ${BIG} listed rooms, found ${listed}`);
  return { big, listSmall, sweepSmall, populateMs, shape: { reference, populated, same } };
}

export interface ListResult {
  samples: number;
  smallMs: { median: number; p90: number };
  bigMs: { median: number; p90: number };
  ratio: number;
  roomsReturned: number;
  pushersReturned: number;
}

export async function runList(beds: ScaleBeds, options: { samples: number; warm: number }): Promise<ListResult> {
  const callers = new Map<Bed, User>();
  for (const bed of [beds.listSmall, beds.big]) callers.set(bed.use(), await bed.signIn('lister'));
  const path = '/weapp/multi_room/get_room_list';
  let roomsReturned = 0;
  let pushersReturned = 0;
  const once = async (bed: Bed): Promise<number> => {
    const user = callers.get(bed)!;
    bed.use();
    const started = performance.now();
    const response = await getRoomList(apiEvent(path, { userID: user.userId, token: user.token }, { userID: user.userId, index: 0, cnt: 20 }), {});
    const ms = performance.now() - started;
    const body = JSON.parse(response.body) as { code: number; rooms?: { pushers: unknown[] }[] };
    if (body.code !== 0 || body.rooms?.length !== 20) throw new Error(`get_room_list answered ${response.body.slice(0, 300)}`);
    roomsReturned = body.rooms.length;
    pushersReturned = body.rooms.reduce((n, r) => n + r.pushers.length, 0);
    return ms;
  };
  return {
    ...(await smallVsBig(beds, options, once)),
    roomsReturned,
    pushersReturned,
  };
}

export interface AdminListResult {
  samples: number;
  smallMs: { median: number; p90: number };
  bigMs: { median: number; p90: number };
  ratio: number;
}

/**
 * The admin API's room list must cost O(page): its script walks the list from
 * the cursor. Pages of 50 from the start and from a cursor, alternately, on
 * the same two beds as get_room_list.
 */
export async function runAdminList(beds: ScaleBeds, options: { samples: number; warm: number }): Promise<AdminListResult> {
  const cursors = new Map<Bed, Awaited<ReturnType<Bed['rt']['admin']['roomPage']>>['next']>();
  const once = async (bed: Bed): Promise<number> => {
    const started = performance.now();
    const page = await bed.rt.admin.roomPage(['multi_room'], 50, cursors.get(bed));
    const ms = performance.now() - started;
    if (page.rooms.length !== 50) throw new Error(`admin room page answered ${page.rooms.length} rooms`);
    // From the start, then from where that page ended, then from the start again.
    cursors.set(bed, cursors.get(bed) ? undefined : page.next);
    return ms;
  };
  return smallVsBig(beds, options, once);
}

export interface SweepResult {
  reps: number;
  smallMs: number[];
  bigMs: number[];
  smallReapMs: number[];
  bigReapMs: number[];
  ratio: number;
  reapRatio: number;
  effectsPerRun: number[];
}

/**
 * Makes exactly DUE rooms due, spread over the index: half with every seat
 * silent (the room ends: destroy), half with one silent seat (notify).
 */
/**
 * One read timed on the small and the big bed, warmed up, then interleaved in
 * blocks of 10 so both sizes see the same conditions; the ratio is big/small.
 */
async function smallVsBig(beds: ScaleBeds, options: { samples: number; warm: number }, once: (bed: Bed) => Promise<number>): Promise<AdminListResult> {
  for (let i = 0; i < options.warm; i++) {
    await once(beds.listSmall);
    await once(beds.big);
  }
  const small: number[] = [];
  const big: number[] = [];
  for (let i = 0; i < options.samples; i += 10) {
    for (let j = 0; j < 10; j++) small.push(await once(beds.listSmall));
    for (let j = 0; j < 10; j++) big.push(await once(beds.big));
  }
  return {
    samples: small.length,
    smallMs: { median: round(median(small), 3), p90: round(percentile(small, 90), 3) },
    bigMs: { median: round(median(big), 3), p90: round(percentile(big, 90), 3) },
    ratio: round(median(big) / median(small), 3),
  };
}

async function makeDue(bed: Bed, total: number): Promise<string[]> {
  const now = Date.now();
  const step = Math.floor(total / DUE);
  const specs: RoomSpec[] = [];
  for (let d = 0; d < DUE; d++) {
    const i = d * step + 7;
    specs.push(d % 2 === 0 ? { index: i, deadline: now - 5_000 } : { index: i, deadline: now + HOUR, overdueSeats: 1, overdueAt: now - 5_000 });
  }
  // A one-seat room with one silent seat ends too; that is fine and realistic.
  await writeRooms(adminClient(), bed.rt, 'multi_room', specs, now - HOUR, { replace: true });
  return specs.map((s) => roomIdAt(s.index));
}

export async function runSweep(beds: ScaleBeds, options: { reps: number }): Promise<SweepResult> {
  const cloud = await fakeCloud();
  const reapTimes = new Map<Bed, number>();
  // Time the reapDue script calls alone, too (instance-level wrapper, bench only).
  for (const bed of [beds.sweepSmall, beds.big]) {
    const rooms = bed.rt.rooms as unknown as { reapDue: (...args: unknown[]) => Promise<unknown> };
    const original = rooms.reapDue.bind(rooms);
    rooms.reapDue = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original(...args);
      } finally {
        reapTimes.set(bed, (reapTimes.get(bed) ?? 0) + performance.now() - started);
      }
    };
  }
  const once = async (bed: Bed, total: number) => {
    const ids = await makeDue(bed, total);
    for (const id of ids) cloud.groups.add(id);
    bed.use();
    reapTimes.set(bed, 0);
    const started = performance.now();
    const report = await sweep(bed.rt);
    const ms = performance.now() - started;
    if (report.effects !== DUE) throw new Error(`sweep among ${total} rooms performed ${report.effects} effects, expected ${DUE}`);
    return { ms, reapMs: reapTimes.get(bed)!, effects: report.effects };
  };
  // Warm-up (not recorded).
  await once(beds.sweepSmall, SWEEP_SMALL);
  await once(beds.big, BIG);
  const result: SweepResult = { reps: options.reps, smallMs: [], bigMs: [], smallReapMs: [], bigReapMs: [], ratio: 0, reapRatio: 0, effectsPerRun: [] };
  for (let rep = 0; rep < options.reps; rep++) {
    const order: [Bed, number][] = rep % 2 === 0 ? [[beds.sweepSmall, SWEEP_SMALL], [beds.big, BIG]] : [[beds.big, BIG], [beds.sweepSmall, SWEEP_SMALL]];
    for (const [bed, total] of order) {
      const run = await once(bed, total);
      (bed === beds.big ? result.bigMs : result.smallMs).push(round(run.ms, 2));
      (bed === beds.big ? result.bigReapMs : result.smallReapMs).push(round(run.reapMs, 2));
      result.effectsPerRun.push(run.effects);
    }
  }
  result.ratio = round(median(result.bigMs) / median(result.smallMs), 3);
  result.reapRatio = round(median(result.bigReapMs) / median(result.smallReapMs), 3);
  return result;
}

