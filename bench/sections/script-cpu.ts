/**
 * Redis CPU per heartbeat, per room type: Redis's own account of the time it
 * spent in EVALSHA (INFO commandstats, usec per call) while only heartbeats
 * run. Measured on a private redis-server the bench starts (port 0 picked by
 * the OS), because commandstats are server-wide: on the shared Redis every
 * other client's scripts would count too. The figure is Redis's time inside
 * the command, so the machine's other jobs move it far less than req/s.
 * Two floors beside it: a script that only returns, and a one-command script.
 *
 * With valgrind installed, a second private redis-server runs under callgrind
 * and the section also reports the instructions Redis executes per heartbeat
 * request (network read, parsing, EVALSHA, reply: callgrind_control zeroes the
 * count before and dumps it after 1,000 heartbeats): a count the machine's other
 * jobs do not change, where usec per call moved 30% run to run on a loaded machine.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { main_handler as webrtcHeartbeat } from '../../functions/webrtc_heartbeat';
import { ROOM_TYPES, WEBRTC_ROOM, loadConfig, type RoomType } from '../../shared/config';
import { apiEvent, Bed } from '../lib/bed';
import { round } from '../lib/stats';
import { CALLERS, captureCommands, seatForType } from './heartbeat';
import { partitionOf, roomKeys } from '../../shared/rooms/keys';

export interface ScriptCpuResult {
  status: 'ok' | 'no-redis-server';
  note: string;
  /**
   * Redis usec per heartbeat EVALSHA with Redis busy, per room type: the
   * EVALSHA commands the handlers sent, replayed as fast as Redis answers
   * them (16 in flight), as on a shard that carries many pushers. The median
   * of WINDOWS windows.
   */
  heartbeatUs: Partial<Record<RoomType, number>>;
  /** Each window's figure, per room type. */
  heartbeatWindowsUs: Partial<Record<RoomType, number[]>>;
  /**
   * The same while the handlers in this process drive the heartbeats: Redis
   * then idles between calls, sharing 2 cores with Node, and each call runs
   * slower (caches, wake-ups). Median of WINDOWS windows.
   */
  throughHandlersUs: Partial<Record<RoomType, number>>;
  /** The Redis process's CPU (user + system, INFO cpu) per heartbeat request, Redis busy: network I/O and parsing included. */
  processCpuUs: Partial<Record<RoomType, number>>;
  /**
   * The sweeper's share: heartbeats leave the deadline index at a room's
   * earlier deadline, so each room comes due about once per heartbeat timeout
   * and the sweeper moves it on. `visitUs`: Redis usec (EVALSHA) per such
   * visit; `perBeatUs`: that divided by the beats between two visits at the
   * clients' interval and the default timeout (seats x (timeout - interval) /
   * interval: after a visit the entry is the earliest deadline, at least
   * timeout - interval ahead, so this is the fewest beats per visit).
   */
  sweeper: Partial<Record<RoomType, { visitUs: number; seats: number; beatsPerVisit: number; perBeatUs: number }>>;
  /** Floors: `return 1`, and one ZADD (the bench's raw EVALSHA). */
  emptyScriptUs?: number;
  oneCommandScriptUs?: number;
  callsPerFigure: number;
  /** Redis instructions per heartbeat request, per room type (callgrind; absent without valgrind). */
  heartbeatInstructions?: Partial<Record<RoomType, number>>;
}

const CALLS = 20_000;
const WINDOWS = 5;
const CONCURRENCY = 16;
/** The clients' heartbeat interval (PROTOCOL.md: every ~7 s). */
const CLIENT_INTERVAL_MS = 7000;

/** A port the OS says is free now (for a server started next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server (nothing saved), or undefined when the binary is missing; `wrap` runs it under a tool (callgrind). */
export async function privateRedis(wrap: string[] = []): Promise<{ url: string; pid: number; stop(): Promise<void> } | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const server = ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''];
  const [command, ...args] = [...wrap, ...server];
  const child: ChildProcess = spawn(command!, args, { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused until the server listens; the loop retries
  for (let attempt = 0; ; attempt++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (attempt > 300) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** A bench bed on a private redis-server: one server, even when the run's own Redis is a cluster (npm run test:cluster). */
export const privateBed = (name: string, url: string) =>
  // No metrics: their flush (a script per second from this process) would count as heartbeat time here;
  // what counting costs is the metrics section's figure.
  Bed.open(name, { REDIS_URL: url, REDIS_CLUSTER: 'false', METRICS: 'false' });

/** EVALSHA's calls and usec so far (INFO commandstats). */
async function evalshaStats(client: Redis): Promise<{ calls: number; usec: number }> {
  const line = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await client.info('commandstats'));
  return { calls: Number(line?.[1] ?? 0), usec: Number(line?.[2] ?? 0) };
}

/** The Redis process's CPU so far, usec (INFO cpu: user + system, every thread). */
async function processCpu(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

/** `calls` runs of `once` (CONCURRENCY in flight). */
async function runCalls(once: (i: number) => Promise<unknown>, calls: number, from = 0): Promise<void> {
  let next = from;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < from + calls) await once(next++);
    }),
  );
}

/**
 * usec per EVALSHA over `calls` runs of `once`, in `windows` windows: the
 * median window, each window's, and the process's CPU per call over them all.
 */
async function usPerCall(client: Redis, once: (i: number) => Promise<unknown>, calls = CALLS, windows = 1): Promise<{ us: number; windows: number[]; processUs: number }> {
  for (let i = 0; i < 2000; i++) await once(i); // script cache, JIT, the server's allocator
  const figures: number[] = [];
  const cpuBefore = await processCpu(client);
  const perWindow = Math.ceil(calls / windows);
  for (let w = 0; w < windows; w++) {
    const before = await evalshaStats(client);
    await runCalls(once, perWindow, w * perWindow);
    const after = await evalshaStats(client);
    figures.push(round((after.usec - before.usec) / (after.calls - before.calls), 2));
  }
  const processUs = round((await processCpu(client) - cpuBefore) / (perWindow * windows), 2);
  const sorted = [...figures].sort((a, b) => a - b);
  return { us: sorted[Math.floor(sorted.length / 2)]!, windows: figures, processUs };
}

/**
 * Redis usec per room the sweeper visits when the room's deadline-index entry
 * came due with nobody overdue (every seat beat since): the entries are put
 * back in the past, then reapDue moves them on. A reap call's own cost (its
 * script's setup, the outbox scan), measured with nothing due, is spread over
 * a full batch of `batch` rooms. Medians of 21 sweeps.
 */
async function sweepVisitUs(bed: Bed, stats: Redis, type: RoomType, rooms: string[], batch: number): Promise<number> {
  const partitions = [...new Set(rooms.map((roomId) => partitionOf(roomId)))];
  const reapUs = async (setUp: () => Promise<void>) => {
    const figures: number[] = [];
    for (let round = 0; round < 21; round++) {
      await setUp();
      const before = await evalshaStats(stats);
      for (const p of partitions) await bed.rt.rooms.reapDue(type, batch, undefined, 0, 0, p);
      const after = await evalshaStats(stats);
      figures.push(after.usec - before.usec);
    }
    return figures.sort((a, b) => a - b)[Math.floor(figures.length / 2)]!;
  };
  const fixedUs = (await reapUs(async () => undefined)) / partitions.length;
  const past = () => Date.now() - 1;
  const dueUs = await reapUs(async () => {
    const at = past();
    for (const roomId of rooms) await bed.rt.redis.zadd(roomKeys(bed.prefix, type, roomId).due, at, roomId);
  });
  for (const roomId of rooms) if (Number(await bed.rt.redis.zscore(roomKeys(bed.prefix, type, roomId).due, roomId)) <= past()) throw new Error(`the sweep left ${roomId} due`);
  return round((dueUs - fixedUs * partitions.length) / rooms.length + fixedUs / batch, 2);
}

export type Beat = (i: number) => Promise<void>;

/** One heartbeat caller per seat of `type` (seated through the handlers), as a function of the call's number. */
export async function beatsOf(bed: Bed, type: RoomType): Promise<Beat & { rooms: string[] }> {
  const callers = await seatForType(bed, type);
  bed.use();
  const rooms = [...new Set(callers.map((c) => c.roomID))];
  const webrtc = type === WEBRTC_ROOM;
  const path = webrtc ? '/weapp/webrtc_room/heartbeat' : `/weapp/${type}/pusher_heartbeat`;
  const handler = webrtc ? webrtcHeartbeat : heartbeat;
  const beat = async (i: number) => {
    const { user, roomID } = callers[i % callers.length]!;
    const response = await handler(apiEvent(path, webrtc ? {} : { userID: user.userId, token: user.token }, { userID: user.userId, roomID }), {});
    if (!response.body.startsWith('{"code":0,')) throw new Error(`${type} heartbeat answered ${response.body}`);
  };
  return Object.assign(beat, { rooms });
}

/** Redis instructions per heartbeat request, per room type, on a private redis-server under callgrind. */
async function instructionsPerHeartbeat(): Promise<ScriptCpuResult['heartbeatInstructions']> {
  if (spawnSync('callgrind_control', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'roomservice-cg-'));
  const redis = await privateRedis(['valgrind', '--tool=callgrind', `--callgrind-out-file=${dir}/cg.%p`]);
  if (!redis) return undefined;
  const bed = await privateBed('scpu-cg', redis.url);
  const counted = 1000;
  try {
    const result: NonNullable<ScriptCpuResult['heartbeatInstructions']> = {};
    for (const type of ROOM_TYPES) {
      const beat = await beatsOf(bed, type);
      for (let i = 0; i < 100; i++) await beat(i);
      execFileSync('callgrind_control', ['-z', String(redis.pid)], { stdio: 'ignore' });
      for (let i = 0; i < counted; i++) await beat(i);
      execFileSync('callgrind_control', ['-d', String(redis.pid)], { stdio: 'ignore' });
      // Dumps are numbered cg.<pid>.1, .2, ...: the newest holds what ran since the zero.
      const newest = readdirSync(dir).filter((f) => /^cg\.\d+\.\d+$/.test(f)).sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()))[0]!;
      const totals = /^(?:totals|summary): (\d+)/m.exec(readFileSync(path.join(dir, newest), 'utf8'))?.[1];
      result[type] = Math.round(Number(totals) / counted);
    }
    return result;
  } finally {
    await bed.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One room type's heartbeats on a private server: through the handlers, then replayed with Redis busy. */
export interface HeartbeatCpu {
  /** The seats' rooms (seated through the handlers). */
  rooms: string[];
  /** EVALSHA usec per heartbeat and the Redis process's CPU per heartbeat request, Redis busy (median window; every window). */
  busy: { us: number; windows: number[]; processUs: number };
  /** The same while this process's handlers drive the heartbeats (Redis idles between calls). */
  handlers: { us: number; windows: number[]; processUs: number };
}

/**
 * Seats CALLERS users of `type` through the handlers and measures their
 * heartbeats twice: driven by the handlers, then the EVALSHA commands the
 * handlers sent replayed as fast as Redis answers them (16 in flight), as on
 * a shard that carries many pushers. Replayed, each is a heartbeat again:
 * same session, quotas counted, the seat's deadline written.
 */
export async function measureHeartbeatCpu(bed: Bed, stats: Redis, type: RoomType, calls = CALLS): Promise<HeartbeatCpu> {
  const beat = await beatsOf(bed, type);
  const handlers = await usPerCall(stats, beat, calls, WINDOWS);
  const commands = await captureCommands(bed.rt, async () => {
    for (let i = 0; i < CALLERS; i++) await beat(i);
  });
  const raw = stats as unknown as { evalsha: (...args: (string | number | Buffer)[]) => Promise<unknown> };
  const busy = await usPerCall(stats, (i) => raw.evalsha(...commands[i % commands.length]!), calls, WINDOWS);
  return { rooms: beat.rooms, busy, handlers };
}

export async function runScriptCpu(): Promise<ScriptCpuResult> {
  const redis = await privateRedis();
  if (!redis) return { status: 'no-redis-server', note: 'redis-server not installed: no private Redis to read commandstats from', heartbeatUs: {}, heartbeatWindowsUs: {}, throughHandlersUs: {}, processCpuUs: {}, sweeper: {}, callsPerFigure: CALLS };
  const bed = await privateBed('scpu', redis.url);
  const stats = new Redis(redis.url);
  try {
    const heartbeatUs: ScriptCpuResult['heartbeatUs'] = {};
    const heartbeatWindowsUs: ScriptCpuResult['heartbeatWindowsUs'] = {};
    const throughHandlersUs: ScriptCpuResult['throughHandlersUs'] = {};
    const processCpuUs: ScriptCpuResult['processCpuUs'] = {};
    const sweeper: ScriptCpuResult['sweeper'] = {};
    for (const type of ROOM_TYPES) {
      const measured = await measureHeartbeatCpu(bed, stats, type);
      heartbeatUs[type] = measured.busy.us;
      heartbeatWindowsUs[type] = measured.busy.windows;
      processCpuUs[type] = measured.busy.processUs;
      throughHandlersUs[type] = measured.handlers.us;
      const visitUs = await sweepVisitUs(bed, stats, type, measured.rooms, loadConfig(bed.env).sweepBatch);
      const seats = CALLERS / measured.rooms.length;
      // The deployed timeout (the bench's own seats never time out: BENCH_OVERRIDES).
      const { HEARTBEAT_TIMEOUT: _benchTimeout, ...deployed } = bed.env;
      const timeoutMs = loadConfig(deployed).rooms[type].heartbeatTimeoutMs;
      const beatsPerVisit = round((seats * (timeoutMs - CLIENT_INTERVAL_MS)) / CLIENT_INTERVAL_MS, 2);
      sweeper[type] = { visitUs, seats, beatsPerVisit, perBeatUs: round(visitUs / beatsPerVisit, 2) };
    }
    const empty = await stats.script('LOAD', 'return 1');
    const zadd = await stats.script('LOAD', "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])");
    const emptyScriptUs = (await usPerCall(stats, () => stats.evalsha(empty as string, 0))).us;
    const oneCommandScriptUs = (await usPerCall(stats, (i) => stats.evalsha(zadd as string, 1, `scpu:z:${i % 64}`, Date.now(), `u${i % 64}`))).us;
    const note = `private redis-server ${(await stats.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}, ${CALLS} calls per room type in ${WINDOWS} windows (median), ${CONCURRENCY} in flight, INFO commandstats usec/calls of EVALSHA`;
    stats.disconnect();
    await bed.close();
    await redis.stop();
    const heartbeatInstructions = await instructionsPerHeartbeat();
    return { status: 'ok', note, heartbeatUs, heartbeatWindowsUs, throughHandlersUs, processCpuUs, sweeper, emptyScriptUs, oneCommandScriptUs, callsPerFigure: CALLS, heartbeatInstructions };
  } catch (error) {
    stats.disconnect();
    await bed.close();
    await redis.stop();
    throw error;
  }
}
