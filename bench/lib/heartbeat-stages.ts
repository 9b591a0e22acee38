/**
 * Where each microsecond of the heartbeat handler goes: each stage of the
 * pipeline (functions/pusher_heartbeat.ts through shared/http/endpoint.ts,
 * the store call and ioredis' encoding) timed on its own over many calls,
 * single caller, no Redis (the store is an instant stand-in), so the figures
 * are Node CPU only. The log line goes to the installed sink (the bench's
 * drops it; what writing it costs is the gateway section's logging ratio). `pipeline` is the whole handler the same way; `glue` is
 * what the stages do not account for (promises, async frames, GC of the
 * request's garbage).
 */
import Command from 'ioredis/built/Command';
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { toHttpRequest } from '../../shared/http/event';
import { corsHeaders, respond, successEnvelope } from '../../shared/http/response';
import { roomRequest } from '../../shared/http/fields';
import { logTrusted } from '../../shared/log';
import { keysFor, partitionOf } from '../../shared/rooms/keys';
import { SCRIPTS } from '../../shared/rooms/scripts';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import { apiEvent, type User } from './bed';
import { round } from './stats';

export type Stage =
  | 'event -> request'
  | 'route, CORS, method, size'
  | 'body JSON.parse + zod'
  | 'session token (actor)'
  | 'key names + ARGV'
  | 'ioredis command + RESP'
  | 'envelope + response'
  | 'log line (JSON)';

/** Runs inside ioredis, which the stand-in store skips (so not part of `pipeline`). */
export const CLIENT_STAGE: Stage = 'ioredis command + RESP';

export interface StageResult {
  /** us per call, median of `rounds` runs of `calls` calls each. */
  stages: Record<Stage, number>;
  /** The whole handler against an instant store, one at a time (us per call). */
  pipeline: number;
  /** pipeline minus the handler stages' sum (all but the ioredis one, which the stand-in skips). */
  glue: number;
  calls: number;
}

function timePerCall(calls: number, work: (i: number) => unknown): number {
  let sink: unknown;
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink = work(i);
  const ns = Number(process.hrtime.bigint() - start);
  void sink;
  return ns / calls / 1000;
}

async function timePerCallAsync(calls: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await work(i);
  return Number(process.hrtime.bigint() - start) / calls / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A store client whose every command answers 1 (the heartbeat script's "taken") from a resolved promise (no I/O). */
function resolvedRedis(): unknown {
  const answer = () => Promise.resolve(1);
  return new Proxy({}, { get: (_target, prop) => (prop === 'then' ? undefined : answer) });
}

/**
 * `rt` is a built runtime (its config, sessions and stores are used; its
 * Redis client is swapped for a resolved stand-in while timing); `user` a
 * signed-in user of it.
 */
export async function heartbeatStages(rt: Runtime, user: User, roomID: string, options: { calls?: number; rounds?: number } = {}): Promise<StageResult> {
  const calls = options.calls ?? 20_000;
  const rounds = options.rounds ?? 5;
  const path = '/weapp/multi_room/pusher_heartbeat';
  const query = { userID: user.userId, token: user.token };
  const body = { userID: user.userId, roomID };
  const events = Array.from({ length: 64 }, () => apiEvent(path, query, body));
  const context = { request_id: 'scf-stage', function_name: 'pusher_heartbeat' };
  const req = toHttpRequest(events[0], context, {});
  const actor = rt.sessions.actor(user.userId, user.token, req.sourceIp);
  const now = Date.now();
  const keys = keysFor(SCRIPTS.heartbeat.keys, { prefix: rt.config.keyPrefix, type: 'multi_room', roomId: roomID, actor, now, partition: partitionOf(roomID) });
  const args = [SCRIPTS.heartbeat.keys.length, ...keys, user.userId, now, roomID, 20_000, 60_000, 120_000, 30_000, 600, 1200, 'x'];
  const ROUTE = /^\/?(?:.*\/)?weapp\/([^/?]+)\/([^/?]+)\/?$/;

  const stages: Record<Stage, () => number> = {
    'event -> request': () => timePerCall(calls, (i) => toHttpRequest(events[i & 63], context, {})),
    'route, CORS, method, size': () =>
      timePerCall(calls, () => {
        const cors = corsHeaders(rt.config.corsOrigins, req.headers.origin);
        const m = ROUTE.exec(req.path);
        return [cors, m, req.method === 'POST', Buffer.byteLength(req.body!) > 65536, ['multi_room', 'double_room', 'live_room'].includes(m![1]!)];
      }),
    'body JSON.parse + zod': () => timePerCall(calls, () => roomRequest.safeParse(JSON.parse(req.body!))),
    'session token (actor)': () => timePerCall(calls, () => rt.sessions.actor(user.userId, user.token, req.sourceIp)),
    'key names + ARGV': () =>
      timePerCall(calls, () => {
        const k = keysFor(SCRIPTS.heartbeat.keys, { prefix: rt.config.keyPrefix, type: 'multi_room', roomId: roomID, actor, now, partition: partitionOf(roomID) });
        return [...k, user.userId, now, roomID, 20_000, 60_000, 120_000, 30_000, 600, 1200, 'x'];
      }),
    'ioredis command + RESP': () => timePerCall(calls, () => new Command('evalsha', ['0123456789abcdef0123456789abcdef01234567', ...args]).toWritable(undefined as never)),
    'envelope + response': () => timePerCall(calls, () => respond(200, successEnvelope(undefined), 'scf-stage', corsHeaders(rt.config.corsOrigins, undefined))),
    'log line (JSON)': () =>
      timePerCall(calls, (i) =>
        logTrusted({ event: 'request', endpoint: 'pusher_heartbeat', roomType: 'multi_room', user: user.userId, code: 0, status: 200, ms: (i % 1000) / 100, requestId: 'scf-stage' }),
      ),
  };

  const samples: Record<string, number[]> = {};
  const pipeline: number[] = [];
  // Same runtime classes and configuration; only the Redis client is the stand-in.
  const stub = buildRuntime(rt.config, { redis: resolvedRedis() as Runtime['redis'], im: rt.im, live: rt.live, trtc: rt.trtc });
  installRuntime(stub);
  try {
    const whole = () => timePerCallAsync(calls, (i) => heartbeat(events[i & 63], context));
    await whole(); // warm
    for (let r = 0; r < rounds; r++) {
      for (const [name, run] of Object.entries(stages)) (samples[name] ??= []).push(run());
      pipeline.push(await whole());
    }
  } finally {
    installRuntime(rt);
  }
  const result = {} as Record<Stage, number>;
  for (const name of Object.keys(stages) as Stage[]) result[name] = round(median(samples[name]!), 2);
  const p = round(median(pipeline), 2);
  const sum = Object.entries(result).reduce((a, [name, us]) => (name === CLIENT_STAGE ? a : a + us), 0);
  return { stages: result, pipeline: p, glue: round(p - sum, 2), calls };
}
