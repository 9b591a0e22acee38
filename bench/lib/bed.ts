/**
 * A bench "bed": a runtime on the real Redis under its own key prefix (a
 * sub-prefix of the run's prefix, so one SCAN MATCH removes everything), with
 * the IM and live APIs served by the loopback fake of tests/support.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { loadConfig } from '../../shared/config';
import { connectRedis } from '../../shared/redis';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import { CLOUD, REDIS_URL, pushUrlFor, startTestCloud, testEnv, userSigFor } from '../../tests/support/test-env';
import type { FakeCloud } from '../../tests/support/fake-cloud';
import type { ScfHandler } from '../../shared/http/endpoint';
import { main_handler as route } from '../../functions/router';

export { pushUrlFor, userSigFor, CLOUD, REDIS_URL };

/**
 * Settings every bed shares. Quotas stay on (the scripts still count every
 * request, as in production) but far above what the load generators reach;
 * timeouts are long so seats made during setup stay live for the whole run.
 */
export const BENCH_OVERRIDES: Record<string, string> = {
  HEARTBEAT_TIMEOUT: '900',
  ROOM_IDLE_TIMEOUT: '900',
  RATE_LIMIT_PER_USER: '1000000000',
  RATE_LIMIT_PER_IP: '1000000000',
  IM_TIMEOUT_MS: '2000',
};

export const RUN_PREFIX = `bench-${randomBytes(4).toString('hex')}`;

let fake: FakeCloud | undefined;

export async function fakeCloud(): Promise<FakeCloud> {
  fake ??= await startTestCloud();
  return fake;
}

export async function closeFakeCloud(): Promise<void> {
  await fake?.close();
  fake = undefined;
}

/** A plain client for setup, inspection and cleanup (never measured). */
let admin: Redis | undefined;
export function adminClient(): Redis {
  admin ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  return admin;
}

export async function closeAdmin(): Promise<void> {
  await admin?.quit().catch(() => undefined);
  admin = undefined;
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { code: number; message?: string };
}

export interface User {
  userId: string;
  token: string;
}

let requestCounter = 0;

/** An API Gateway trigger event, as SCF hands it to a function. */
export function apiEvent(path: string, query: Record<string, string>, body: unknown): Record<string, unknown> {
  return {
    httpMethod: path.startsWith('/weapp/utils/') ? 'GET' : 'POST',
    path,
    headers: { 'content-type': 'application/json', host: 'service-bench.gz.apigw.tencentcs.com' },
    queryStringParameters: query,
    pathParameters: {},
    body: body === undefined ? '' : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `bench-${++requestCounter}`, sourceIp: '10.0.0.1', stage: 'release' },
  };
}

export class Bed {
  readonly prefix: string;
  readonly env: Record<string, string>;
  readonly rt: Runtime;

  private constructor(prefix: string, env: Record<string, string>, rt: Runtime) {
    this.prefix = prefix;
    this.env = env;
    this.rt = rt;
  }

  static async open(name: string, overrides: Record<string, string> = {}): Promise<Bed> {
    const cloud = await fakeCloud();
    const prefix = `${RUN_PREFIX}:${name}`;
    const env = testEnv(cloud, prefix, { ...BENCH_OVERRIDES, ...overrides });
    const config = loadConfig(env);
    // The same client factory and options as production (shared/redis.ts).
    const rt = buildRuntime(config, { redis: connectRedis(config.redisUrl!, config.redisCluster) });
    await rt.redis.ping();
    return new Bed(prefix, env, rt);
  }

  /** Makes this bed the container's runtime (what the handlers use). */
  use(): this {
    installRuntime(this.rt);
    return this;
  }

  async invoke(path: string, query: Record<string, string>, body?: unknown, handler: ScfHandler = route): Promise<Answer> {
    this.use();
    const response = await handler(apiEvent(path, query, body), {});
    return { status: response.statusCode, body: JSON.parse(response.body) as Answer['body'] };
  }

  async signIn(userId: string, roomType = 'multi_room'): Promise<User> {
    const answer = await this.invoke(`/weapp/${roomType}/login`, {
      sdkAppID: String(CLOUD.sdkAppId),
      accountType: '0',
      userID: userId,
      userSig: userSigFor(userId),
    });
    if (answer.body.code !== 0) throw new Error(`login of ${userId} failed: ${JSON.stringify(answer.body)}`);
    return { userId, token: answer.body.token as string };
  }

  /** A room endpoint called as `user`; throws unless the envelope says code 0 (or `expect`). */
  async call(user: User, roomType: string, action: string, body: Record<string, unknown> = {}, expect = 0): Promise<Answer> {
    const answer = await this.invoke(`/weapp/${roomType}/${action}`, { userID: user.userId, token: user.token }, { userID: user.userId, ...body });
    if (answer.body.code !== expect) throw new Error(`${action} as ${user.userId} answered ${JSON.stringify(answer.body)}`);
    return answer;
  }

  join(user: User, roomType: string, roomID: string, extra: Record<string, unknown> = {}): Promise<Answer> {
    return this.call(user, roomType, 'add_pusher', {
      roomID,
      userName: `User ${user.userId}`,
      userAvatar: `https://thirdwx.qlogo.cn/mmopen/vi_32/${user.userId}/132`,
      pushURL: pushUrlFor(user.userId),
      roomInfo: extra.roomInfo ?? `{"title":"bench room ${roomID}","cover":"https://example.com/cover.png"}`,
      ...extra,
    });
  }

  async close(): Promise<void> {
    await this.rt.redis.quit().catch(() => undefined);
  }
}

/** Deletes every key under `prefix:` (SCAN MATCH + UNLINK); answers how many. */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
