/**
 * pusher_heartbeat handler throughput vs raw EVALSHA of a one-line script,
 * both with the production client options (connectRedis) and 64 concurrent
 * in-process callers. The handler is the per-function SCF entry point
 * (functions/pusher_heartbeat.ts), fed API Gateway-shaped events.
 */
import type Redis from 'ioredis';
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { main_handler as webrtcHeartbeat } from '../../functions/webrtc_heartbeat';
import { ROOM_TYPES, WEBRTC_ROOM, type RoomType } from '../../shared/config';
import { connectRedis, type RedisClient } from '../../shared/redis';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import { adminClient, apiEvent, Bed, REDIS_URL, type User } from '../lib/bed';
import { heartbeatStages, type StageResult } from '../lib/heartbeat-stages';
import { closedLoop, median, round } from '../lib/stats';

export const CALLERS = 64;
export const ROOMS = CALLERS / 4;

export interface HeartbeatResult {
  callers: number;
  reps: number;
  handlerPerSecond: number[];
  rawPerSecond: number[];
  ratios: number[];
  ratio: number;
  handlerMedian: number;
  rawMedian: number;
  failed: number;
  /**
   * CPU time per request (median over windows): this process (handler or
   * client work) and the Redis server (INFO cpu; includes any other client's
   * load on the same server during the window).
   */
  cpuUsPerRequest: { handler: { node: number; redis: number }; raw: { node: number; redis: number } };
  /**
   * Where the handler's cost goes (CPU us per request, 64 callers, median of
   * windows): the handler with a store that answers at once (no Redis), the
   * heartbeat's own EVALSHA (captured from the handler) replayed without the
   * handler, and the same command shape against a script that only returns OK.
   */
  breakdown: Record<'handlerNoRedis' | 'heartbeatScript' | 'sameShapeTrivialScript' | 'rawOneLiner' | 'handler', { node: number; redis: number; perSecond: number }>;
  /**
   * The heartbeat handler of each room type, 64 callers, median of short
   * windows (CPU us per request, req/s): pusher_heartbeat for the stream
   * types, webrtc_heartbeat (demo identity: the body userID, no session) for
   * webrtc_room. Same script, same keys.
   */
  byRoomType: Record<RoomType, { node: number; redis: number; perSecond: number; ratioToRaw: number }>;
  /**
   * Where each microsecond of the handler's own work goes: each stage timed
   * alone, one caller, no Redis (bench/lib/heartbeat-stages.ts).
   */
  stages: StageResult;
}

/** Seats one caller each in rooms of `type` (64 callers; double rooms hold 2, the others 4). */
export async function seatForType(bed: Bed, type: RoomType): Promise<{ user: User; roomID: string }[]> {
  const perRoom = type === 'double_room' ? 2 : 4;
  const seated: { user: User; roomID: string }[] = [];
  for (let i = 0; i < CALLERS; i++) {
    const roomID = `hbt_${type}_${Math.floor(i / perRoom)}`;
    const userId = `hbt_${type}_u${i}`;
    if (type === WEBRTC_ROOM) {
      const answer = await bed.invoke('/weapp/webrtc_room/enter_room', {}, { userID: userId, roomID });
      if (answer.body.code !== 0) throw new Error(`enter_room of ${userId} answered ${JSON.stringify(answer.body)}`);
      seated.push({ user: { userId, token: '' }, roomID });
    } else {
      const user = await bed.signIn(userId);
      await bed.join(user, type, roomID);
      seated.push({ user, roomID });
    }
  }
  return seated;
}

/** A Redis client stand-in whose every command answers 1 (the heartbeat script's "taken") at once (for the no-Redis handler cost). */
function instantRedis(): RedisClient {
  // Answered in a later turn of the event loop, as a network reply would be.
  const answer = () => new Promise<number>((resolve) => setImmediate(resolve, 1));
  return new Proxy({}, { get: (_target, prop) => (prop === 'then' ? undefined : answer) }) as unknown as RedisClient;
}

/** The EVALSHA commands (full argument lists) the handler sends, one per caller. */
export async function captureCommands(rt: Runtime, run: () => Promise<void>): Promise<(string | number | Buffer)[][]> {
  const client = rt.redis as unknown as { sendCommand: (command: { name: string; args: (string | number | Buffer)[] }, ...rest: unknown[]) => unknown };
  const original = client.sendCommand;
  const captured: (string | number | Buffer)[][] = [];
  client.sendCommand = function (this: unknown, command, ...rest) {
    if (command.name === 'evalsha') captured.push([...command.args]);
    return original.call(this, command, ...rest);
  };
  try {
    await run();
  } finally {
    client.sendCommand = original;
  }
  return captured;
}

async function redisCpuSeconds(): Promise<number> {
  const info = await adminClient().info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
}

/** closedLoop plus CPU accounting for this process and the Redis server. */
async function window(callers: number, once: (caller: number) => Promise<boolean>, warmMs: number, measureMs: number) {
  const warm = await closedLoop(callers, once, 0, warmMs);
  void warm;
  const node0 = process.cpuUsage();
  const redis0 = await redisCpuSeconds();
  const run = await closedLoop(callers, once, 0, measureMs);
  const node = process.cpuUsage(node0);
  const redis = (await redisCpuSeconds()) - redis0;
  const n = Math.max(1, run.completed);
  return { ...run, nodeUs: (node.user + node.system) / n, redisUs: (redis * 1e6) / n };
}

/** 16 multi_rooms with 4 pushers each: one seated, signed-in user per caller. */
export async function seatUsers(bed: Bed, tag: string): Promise<{ user: User; roomID: string }[]> {
  const seated: { user: User; roomID: string }[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const roomID = `${tag}_room_${r}`;
    for (let s = 0; s < 4; s++) {
      const user = await bed.signIn(`${tag}_u${r}_${s}`);
      await bed.join(user, 'multi_room', roomID);
      seated.push({ user, roomID });
    }
  }
  return seated;
}

export async function runHeartbeat(bed: Bed, options: { reps: number; warmMs: number; measureMs: number }): Promise<HeartbeatResult> {
  const seated = await seatUsers(bed, 'hb');
  bed.use();

  const path = '/weapp/multi_room/pusher_heartbeat';
  let invocation = 0;
  const handlerOnce = async (caller: number) => {
    const { user, roomID } = seated[caller]!;
    // SCF calls main_handler(event, context); its context always carries request_id.
    const context = { request_id: `scf-${++invocation}`, function_name: 'pusher_heartbeat' };
    const response = await heartbeat(apiEvent(path, { userID: user.userId, token: user.token }, { userID: user.userId, roomID }), context);
    return response.statusCode === 200 && response.body.startsWith('{"code":0,');
  };

  // The baseline: the same client factory and options, one EVALSHA per call.
  const raw = connectRedis(REDIS_URL, false) as Redis;
  raw.defineCommand('benchZadd', { numberOfKeys: 1, lua: "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])" });
  const rawKeys = seated.map(({ roomID }) => `${bed.prefix}:{rooms}:multi_room:raw:b:${roomID}`);
  const zadd = (raw as unknown as { benchZadd: (key: string, score: number, member: string) => Promise<number> }).benchZadd.bind(raw);
  const rawOnce = async (caller: number) => {
    const reply = await zadd(rawKeys[caller]!, Date.now() + 20_000, seated[caller]!.user.userId);
    return reply === 0 || reply === 1;
  };

  // Warm both paths (script caches, JIT) before anything is counted.
  await closedLoop(CALLERS, handlerOnce, 0, 1000);
  await closedLoop(CALLERS, rawOnce, 0, 1000);

  const handlerPerSecond: number[] = [];
  const rawPerSecond: number[] = [];
  const ratios: number[] = [];
  const cpu = { hn: [] as number[], hr: [] as number[], rn: [] as number[], rr: [] as number[] };
  let failed = 0;
  for (let rep = 0; rep < options.reps; rep++) {
    // Alternate the order so drift (thermal, other load) hits both sides alike.
    const first = rep % 2 === 0 ? handlerOnce : rawOnce;
    const second = rep % 2 === 0 ? rawOnce : handlerOnce;
    const a = await window(CALLERS, first, options.warmMs, options.measureMs);
    const b = await window(CALLERS, second, options.warmMs, options.measureMs);
    const [h, r] = rep % 2 === 0 ? [a, b] : [b, a];
    failed += h.failed + r.failed;
    cpu.hn.push(h.nodeUs);
    cpu.hr.push(h.redisUs);
    cpu.rn.push(r.nodeUs);
    cpu.rr.push(r.redisUs);
    handlerPerSecond.push(round(h.perSecond, 0));
    rawPerSecond.push(round(r.perSecond, 0));
    ratios.push(round(h.perSecond / r.perSecond, 3));
  }
  // Breakdown (shorter windows, after the main figure).
  const breakdownWindows = 3;
  const measureAll = async (once: (caller: number) => Promise<boolean>) => {
    const runs = [];
    for (let i = 0; i < breakdownWindows; i++) runs.push(await window(CALLERS, once, options.warmMs, Math.min(options.measureMs, 1500)));
    if (runs.some((r) => r.failed > 0)) throw new Error('wrong answers in the heartbeat breakdown');
    return {
      node: round(median(runs.map((r) => r.nodeUs)), 1),
      redis: round(median(runs.map((r) => r.redisUs)), 1),
      perSecond: round(median(runs.map((r) => r.perSecond)), 0),
    };
  };
  const commands = await captureCommands(bed.rt, async () => {
    await Promise.all(seated.map((_, caller) => handlerOnce(caller)));
  });
  if (commands.length !== CALLERS) throw new Error(`captured ${commands.length} heartbeat commands, expected ${CALLERS}`);
  const trivialSha = (await adminClient().script('LOAD', 'return 1')) as string;
  const rawEvalsha = raw as unknown as { evalsha: (...args: (string | number | Buffer)[]) => Promise<unknown> };
  const replay = (sha?: string) => async (caller: number) => {
    const [original, ...rest] = commands[caller]!;
    return (await rawEvalsha.evalsha(sha ?? original!, ...rest)) === 1;
  };
  const stubRt = buildRuntime(bed.rt.config, { redis: instantRedis(), im: bed.rt.im, live: bed.rt.live });
  const breakdown = {} as HeartbeatResult['breakdown'];
  // Same runtime classes as production; only the Redis client is the instant stand-in.
  installRuntime(stubRt);
  try {
    breakdown.handlerNoRedis = await measureAll(handlerOnce);
  } finally {
    bed.use();
  }
  breakdown.heartbeatScript = await measureAll(replay());
  breakdown.sameShapeTrivialScript = await measureAll(replay(trivialSha));
  breakdown.rawOneLiner = await measureAll(rawOnce);
  breakdown.handler = await measureAll(handlerOnce);

  // Each room type's heartbeat handler, beside the others.
  const byRoomType = {} as HeartbeatResult['byRoomType'];
  for (const type of ROOM_TYPES) {
    const callers = await seatForType(bed, type);
    bed.use();
    const webrtc = type === WEBRTC_ROOM;
    const typePath = webrtc ? '/weapp/webrtc_room/heartbeat' : `/weapp/${type}/pusher_heartbeat`;
    const handler = webrtc ? webrtcHeartbeat : heartbeat;
    const once = async (caller: number) => {
      const { user, roomID } = callers[caller]!;
      const context = { request_id: `scf-${++invocation}`, function_name: webrtc ? 'webrtc_heartbeat' : 'pusher_heartbeat' };
      const query: Record<string, string> = webrtc ? {} : { userID: user.userId, token: user.token };
      const response = await handler(apiEvent(typePath, query, { userID: user.userId, roomID }), context);
      return response.statusCode === 200 && response.body.startsWith('{"code":0,');
    };
    await closedLoop(CALLERS, once, 0, 500);
    const figures = await measureAll(once);
    byRoomType[type] = { ...figures, ratioToRaw: round(figures.perSecond / breakdown.rawOneLiner.perSecond, 3) };
  }

  const stages = await heartbeatStages(bed.rt, seated[0]!.user, seated[0]!.roomID);
  bed.use();

  await raw.quit().catch(() => undefined);
  return {
    stages,
    breakdown,
    byRoomType,
    callers: CALLERS,
    reps: options.reps,
    handlerPerSecond,
    rawPerSecond,
    ratios,
    ratio: round(median(ratios), 3),
    handlerMedian: round(median(handlerPerSecond), 0),
    rawMedian: round(median(rawPerSecond), 0),
    failed,
    cpuUsPerRequest: {
      handler: { node: round(median(cpu.hn), 1), redis: round(median(cpu.hr), 1) },
      raw: { node: round(median(cpu.rn), 1), redis: round(median(cpu.rr), 1) },
    },
  };
}
