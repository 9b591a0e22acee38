/**
 * pusher_heartbeat handler throughput vs raw EVALSHA of a one-line script,
 * both with the production client options (connectRedis) and 64 concurrent
 * in-process callers. The handler is the per-function SCF entry point
 * (functions/pusher_heartbeat.ts), fed API Gateway-shaped events.
 */
import type Redis from 'ioredis';
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { connectRedis } from '../../shared/redis';
import { apiEvent, Bed, REDIS_URL, type User } from '../lib/bed';
import { closedLoop, median, round } from '../lib/stats';

export const CALLERS = 64;
const ROOMS = CALLERS / 4;

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
  const handlerOnce = async (caller: number) => {
    const { user, roomID } = seated[caller]!;
    const response = await heartbeat(apiEvent(path, { userID: user.userId, token: user.token }, { userID: user.userId, roomID }), {});
    return response.statusCode === 200 && response.body.startsWith('{"code":0,');
  };

  // The baseline: the same client factory and options, one EVALSHA per call.
  const raw = connectRedis(REDIS_URL, false) as Redis;
  raw.defineCommand('benchZadd', { numberOfKeys: 1, lua: "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])" });
  const rawKeys = seated.map(({ roomID }) => `${bed.prefix}:{multi_room}:raw:b:${roomID}`);
  const zadd = (raw as unknown as { benchZadd: (key: string, score: number, member: string) => Promise<number> }).benchZadd.bind(raw);
  const rawOnce = async (caller: number) => {
    const reply = await zadd(rawKeys[caller]!, Date.now() + 20_000, seated[caller]!.user.userId);
    return reply === 0 || reply === 1;
  };

  // Warm both paths (script caches, JIT) before anything is counted.
  await closedLoop(CALLERS, handlerOnce, 1000, 1);
  await closedLoop(CALLERS, rawOnce, 1000, 1);

  const handlerPerSecond: number[] = [];
  const rawPerSecond: number[] = [];
  const ratios: number[] = [];
  let failed = 0;
  for (let rep = 0; rep < options.reps; rep++) {
    // Alternate the order so drift (thermal, other load) hits both sides alike.
    const first = rep % 2 === 0 ? handlerOnce : rawOnce;
    const second = rep % 2 === 0 ? rawOnce : handlerOnce;
    const a = await closedLoop(CALLERS, first, options.warmMs, options.measureMs);
    const b = await closedLoop(CALLERS, second, options.warmMs, options.measureMs);
    const [h, r] = rep % 2 === 0 ? [a, b] : [b, a];
    failed += h.failed + r.failed;
    handlerPerSecond.push(round(h.perSecond, 0));
    rawPerSecond.push(round(r.perSecond, 0));
    ratios.push(round(h.perSecond / r.perSecond, 3));
  }
  await raw.quit().catch(() => undefined);
  return {
    callers: CALLERS,
    reps: options.reps,
    handlerPerSecond,
    rawPerSecond,
    ratios,
    ratio: round(median(ratios), 3),
    handlerMedian: round(median(handlerPerSecond), 0),
    rawMedian: round(median(rawPerSecond), 0),
    failed,
  };
}
