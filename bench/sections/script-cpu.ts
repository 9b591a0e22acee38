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
import { ROOM_TYPES, WEBRTC_ROOM, type RoomType } from '../../shared/config';
import { apiEvent, Bed } from '../lib/bed';
import { round } from '../lib/stats';
import { seatForType } from './heartbeat';

export interface ScriptCpuResult {
  status: 'ok' | 'no-redis-server';
  note: string;
  /** Redis usec per heartbeat EVALSHA, per room type. */
  heartbeatUs: Partial<Record<RoomType, number>>;
  /** Floors: `return 1`, and one ZADD (the bench's raw EVALSHA). */
  emptyScriptUs?: number;
  oneCommandScriptUs?: number;
  callsPerFigure: number;
  /** Redis instructions per heartbeat request, per room type (callgrind; absent without valgrind). */
  heartbeatInstructions?: Partial<Record<RoomType, number>>;
}

const CALLS = 20_000;
const CONCURRENCY = 16;

async function freePort(): Promise<number> {
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

/** EVALSHA's calls and usec so far (INFO commandstats). */
async function evalshaStats(client: Redis): Promise<{ calls: number; usec: number }> {
  const line = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await client.info('commandstats'));
  return { calls: Number(line?.[1] ?? 0), usec: Number(line?.[2] ?? 0) };
}

/** usec per EVALSHA over `calls` runs of `once` (CONCURRENCY in flight). */
async function usPerCall(client: Redis, once: (i: number) => Promise<unknown>, calls = CALLS): Promise<number> {
  for (let i = 0; i < 2000; i++) await once(i); // script cache, JIT, the server's allocator
  const before = await evalshaStats(client);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) await once(next++);
    }),
  );
  const after = await evalshaStats(client);
  return round((after.usec - before.usec) / (after.calls - before.calls), 2);
}

export type Beat = (i: number) => Promise<void>;

/** One heartbeat caller per seat of `type` (seated through the handlers), as a function of the call's number. */
export async function beatsOf(bed: Bed, type: RoomType): Promise<Beat> {
  const callers = await seatForType(bed, type);
  bed.use();
  const webrtc = type === WEBRTC_ROOM;
  const path = webrtc ? '/weapp/webrtc_room/heartbeat' : `/weapp/${type}/pusher_heartbeat`;
  const handler = webrtc ? webrtcHeartbeat : heartbeat;
  return async (i) => {
    const { user, roomID } = callers[i % callers.length]!;
    const response = await handler(apiEvent(path, webrtc ? {} : { userID: user.userId, token: user.token }, { userID: user.userId, roomID }), {});
    if (!response.body.startsWith('{"code":0,')) throw new Error(`${type} heartbeat answered ${response.body}`);
  };
}

/** Redis instructions per heartbeat request, per room type, on a private redis-server under callgrind. */
async function instructionsPerHeartbeat(): Promise<ScriptCpuResult['heartbeatInstructions']> {
  if (spawnSync('callgrind_control', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'roomservice-cg-'));
  const redis = await privateRedis(['valgrind', '--tool=callgrind', `--callgrind-out-file=${dir}/cg.%p`]);
  if (!redis) return undefined;
  const bed = await Bed.open('scpu-cg', { REDIS_URL: redis.url });
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

export async function runScriptCpu(): Promise<ScriptCpuResult> {
  const redis = await privateRedis();
  if (!redis) return { status: 'no-redis-server', note: 'redis-server not installed: no private Redis to read commandstats from', heartbeatUs: {}, callsPerFigure: CALLS };
  const bed = await Bed.open('scpu', { REDIS_URL: redis.url });
  const stats = new Redis(redis.url);
  try {
    const heartbeatUs: ScriptCpuResult['heartbeatUs'] = {};
    for (const type of ROOM_TYPES) heartbeatUs[type] = await usPerCall(stats, await beatsOf(bed, type));
    const empty = await stats.script('LOAD', 'return 1');
    const zadd = await stats.script('LOAD', "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])");
    const emptyScriptUs = await usPerCall(stats, () => stats.evalsha(empty as string, 0));
    const oneCommandScriptUs = await usPerCall(stats, (i) => stats.evalsha(zadd as string, 1, `scpu:z:${i % 64}`, Date.now(), `u${i % 64}`));
    const note = `private redis-server ${(await stats.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}, ${CALLS} calls per figure, ${CONCURRENCY} in flight, INFO commandstats usec/calls of EVALSHA`;
    stats.disconnect();
    await bed.close();
    await redis.stop();
    const heartbeatInstructions = await instructionsPerHeartbeat();
    return { status: 'ok', note, heartbeatUs, emptyScriptUs, oneCommandScriptUs, callsPerFigure: CALLS, heartbeatInstructions };
  } catch (error) {
    stats.disconnect();
    await bed.close();
    await redis.stop();
    throw error;
  }
}
