/**
 * The harness without vitest (tests/support/harness.ts adds the per-file
 * fixture): the bench (bench/lib/bed.ts) and scripts/coldstart.ts --local load
 * it from plain Node, where importing vitest throws.
 *
 * Test harness: a runtime on the real Redis at REDIS_URL (default
 * redis://127.0.0.1:6379) under a key prefix of its own, with the IM and live
 * APIs served by the loopback fake. Handlers are invoked exactly as SCF would,
 * through the router with an API Gateway-shaped event.
 *
 * With TEST_STORE=embedded (the vitest project "embedded") the runtime runs on
 * the embedded store of `npm start` instead (scripts/emulated-redis.ts), so the
 * same tests check that both stores behave alike.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { loadConfig } from '../../shared/config';
import { setLogSink } from '../../shared/log';
import { connectRedis } from '../../shared/redis';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import { pushUrl, streamPart } from '../../shared/sign/live-urls';
import { issueUserSig } from '../../shared/sign/usersig';
import { main_handler as route } from '../../functions/router';
import { emulatedRedis } from '../../scripts/emulated-redis';
import { startFakeCloud, type FakeCloud } from './fake-cloud';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REDIS_CLUSTER = process.env.REDIS_CLUSTER === 'true';
/** Which store the harness's runtime uses: the real Redis (default) or the embedded one of `npm start`. */
export const STORE: 'redis' | 'embedded' = process.env.TEST_STORE === 'embedded' ? 'embedded' : 'redis';

export const CLOUD = {
  sdkAppId: 1400000000,
  secretKey: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  administrator: 'administrator',
  liveAppId: '1250000000',
  cloudSecretId: 'AKIDtest0123456789abcdefTESTKEY0',
  cloudSecretKey: 'testSecretKey0123456789abcdefXYZ',
  callbackKey: 'callback-key-0123456789',
  /** TRTC_CALLBACK_KEY (1-32 letters and digits). */
  trtcCallbackKey: 'trtcCallbackKey0123456789',
  bizid: '8888',
  pushSecretKey: 'e12c46f2612d5106e2034781ab261ca3',
};

/** The test account's live, Cloud API and IM settings, as environment variables. */
export const CLOUD_ENV: Readonly<Record<string, string>> = {
  LIVE_APP_ID: CLOUD.liveAppId,
  LIVE_BIZID: CLOUD.bizid,
  LIVE_PUSH_SECRET_KEY: CLOUD.pushSecretKey,
  CLOUD_API_SECRET_ID: CLOUD.cloudSecretId,
  CLOUD_API_SECRET_KEY: CLOUD.cloudSecretKey,
  LIVE_CALLBACK_KEY: CLOUD.callbackKey,
  TRTC_CALLBACK_KEY: CLOUD.trtcCallbackKey,
  IM_SDK_APP_ID: String(CLOUD.sdkAppId),
  IM_SECRET_KEY: CLOUD.secretKey,
  IM_ADMINISTRATOR: CLOUD.administrator,
};

export function testEnv(fake: FakeCloud | undefined, prefix: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_CLUSTER: String(REDIS_CLUSTER),
    REDIS_KEY_PREFIX: prefix,
    // The cluster run's one-slot check (scripts/test-cluster.sh) reaches the config like any setting.
    ...(process.env.ROOM_SLOT_CHECK ? { ROOM_SLOT_CHECK: process.env.ROOM_SLOT_CHECK } : {}),
    ...CLOUD_ENV,
    ...(fake ? { IM_API_BASE_URL: fake.imBaseUrl, CLOUD_API_BASE_URL: fake.cloudBaseUrl } : {}),
    IM_TIMEOUT_MS: '500',
    // Every test request comes from 127.0.0.1; quotas have their own tests.
    RATE_LIMIT_PER_USER: '0',
    RATE_LIMIT_PER_IP: '0',
    ...overrides,
  };
}

export interface Harness {
  rt: Runtime;
  fake: FakeCloud;
  prefix: string;
  logs: string[];
  /** Deletes every key of this harness's prefix. */
  clean(): Promise<void>;
  close(): Promise<void>;
  /** Rebuilds the runtime with other settings (same prefix and fake). */
  reconfigure(overrides: Record<string, string>): Promise<void>;
}

/**
 * Every master that holds keys. A Cluster client lists its nodes only once it
 * is ready (right after connecting `nodes()` is empty), so wait for that first.
 */
async function masters(rt: Runtime): Promise<Redis[]> {
  if (!('nodes' in rt.redis)) return [rt.redis];
  await rt.redis.ping();
  const nodes = rt.redis.nodes('master');
  if (nodes.length === 0) throw new Error('cluster client lists no master');
  return nodes;
}

export async function deleteByPrefix(rt: Runtime, prefix: string): Promise<void> {
  for (const node of await masters(rt)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}

/** The loopback fake of the IM and live APIs, holding the test credentials. */
export const startTestCloud = (): Promise<FakeCloud> =>
  startFakeCloud({
    sdkAppId: CLOUD.sdkAppId,
    secretKey: CLOUD.secretKey,
    administrator: CLOUD.administrator,
    cloudCredentials: [{ secretId: CLOUD.cloudSecretId, secretKey: CLOUD.cloudSecretKey }],
  });

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startHarness(overrides: Record<string, string> = {}, store: 'redis' | 'embedded' = STORE): Promise<Harness> {
  const fake = await startTestCloud();
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const logs: string[] = [];
  setLogSink((line) => logs.push(line));
  const build = async (extra: Record<string, string>) => {
    const config = loadConfig(testEnv(fake, prefix, { ...overrides, ...extra }));
    const redis = store === 'embedded' ? await emulatedRedis() : connectRedis(config.redisUrl!, config.redisCluster);
    return buildRuntime(config, { redis });
  };
  const harness: Harness = {
    rt: await build({}),
    fake,
    prefix,
    logs,
    clean: () => deleteByPrefix(harness.rt, prefix),
    async close() {
      await deleteByPrefix(harness.rt, prefix);
      await harness.rt.redis.quit();
      installRuntime(undefined);
      await fake.close();
    },
    async reconfigure(extra) {
      const next = await build(extra); // throws on a bad configuration, leaving the current runtime in place
      await harness.rt.redis.quit();
      harness.rt = next;
      installRuntime(harness.rt);
    },
  };
  installRuntime(harness.rt);
  return harness;
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { code: number; message: string };
  headers: Record<string, string>;
}

/** Invokes the router like an API Gateway trigger would. */
export async function invoke(
  path: string,
  options: { method?: string; query?: Record<string, string>; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await route({
    httpMethod: options.method ?? (path.startsWith('/weapp/utils/') ? 'GET' : 'POST'),
    path,
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    queryStringParameters: options.query ?? {},
    pathParameters: {},
    body: options.rawBody ?? (options.body === undefined ? '' : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: { requestId: randomBytes(6).toString('hex'), sourceIp: '127.0.0.1' },
  });
  return { status: response.statusCode, body: JSON.parse(response.body), headers: response.headers };
}

export const userSigFor = (userId: string) => issueUserSig({ sdkAppId: CLOUD.sdkAppId, secretKey: CLOUD.secretKey }, userId);

export interface Client {
  userId: string;
  token: string;
  call(roomType: string, action: string, body?: Record<string, unknown>): Promise<Answer>;
}

/** Logs a user in through the real login endpoint and returns a client bound to its token. */
export async function signIn(userId: string, roomType = 'multi_room'): Promise<Client> {
  const answer = await invoke(`/weapp/${roomType}/login`, {
    query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: userId, userSig: userSigFor(userId) },
  });
  if (answer.body.code !== 0) throw new Error(`login failed: ${JSON.stringify(answer.body)}`);
  const token = answer.body.token as string;
  return {
    userId,
    token,
    call: (type, action, body = {}) => invoke(`/weapp/${type}/${action}`, { query: { userID: userId, token }, body: { userID: userId, ...body } }),
  };
}

/** A push URL signed the way get_push_url signs a plain (room-less) stream. */
export function pushUrlFor(userId: string, suffix = 'ab12'): string {
  return pushUrl(
    { bizid: CLOUD.bizid, pushSecretKey: CLOUD.pushSecretKey, pushDomain: `${CLOUD.bizid}.livepush.myqcloud.com`, playDomain: `${CLOUD.bizid}.liveplay.myqcloud.com`, validTimeSeconds: 3600 },
    `${CLOUD.bizid}_${streamPart(userId)}_${suffix}`,
  );
}

/** What liveroom.js sends to merge_stream: host stream first (the background), co-hosts as small windows. */
export function liveroomMix(host: string, inputs: string[], ids: { session?: string; output?: string } = {}) {
  return {
    timestamp: Math.floor(Date.now() / 1000),
    eventId: Math.floor(Date.now() / 1000),
    interface: {
      interfaceName: 'Mix_StreamV2',
      para: {
        app_id: Number(CLOUD.liveAppId),
        interface: 'mix_streamv2.start_mix_stream_advanced',
        mix_stream_session_id: ids.session ?? host,
        output_stream_id: ids.output ?? host,
        input_stream_list: inputs.map((id, i) => ({
          input_stream_id: id,
          layout_params: i === 0 ? { image_layer: 1 } : { image_layer: i + 1, image_width: 160, image_height: 240, location_x: 400, location_y: 100 + 240 * i },
        })),
      },
    },
  };
}

/** A live stream callback body as the platform signs it: t = expiry (10 minutes ahead), sign = md5(key + t). */
export function signedStreamCallback(fields: Record<string, unknown>, opts: { key?: string; t?: number } = {}): Record<string, unknown> {
  const t = opts.t ?? Math.floor(Date.now() / 1000) + 600;
  const sign = createHash('md5').update((opts.key ?? CLOUD.callbackKey) + String(t)).digest('hex');
  return { appid: 1250000000, app: `${CLOUD.bizid}.livepush.myqcloud.com`, appname: 'live', channel_id: fields.stream_id, node: '1.2.3.4', user_ip: '5.6.7.8', stream_param: '', t, sign, ...fields };
}

/** Signs several users in; typed as a tuple so tests can destructure it. */
export async function signInAll<const T extends readonly string[]>(...users: T): Promise<{ [K in keyof T]: Client }> {
  return (await Promise.all(users.map((u) => signIn(u)))) as { [K in keyof T]: Client };
}

/** Room and session state under a prefix; request quota counters are not state. */
export async function stateKeys(rt: Runtime, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of await masters(rt)) keys.push(...(await node.keys(`${prefix}:*`)));
  return keys.filter((k) => !/:rl:|\{ratelimit\}/.test(k)).sort();
}

/**
 * Every state key with its contents, read by type (DUMP's encoding differs
 * between stores, and the embedded one has no DUMP): equal snapshots mean
 * nothing changed.
 */
export async function stateSnapshot(rt: Runtime, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await stateKeys(rt, prefix)) {
    const type = await rt.redis.type(key);
    let value: unknown = type; // 'none' (gone meanwhile) or a type no state uses
    if (type === 'hash') value = Object.entries(await rt.redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1));
    else if (type === 'zset') value = await rt.redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'string') value = await rt.redis.get(key);
    out[key] = `${type} ${JSON.stringify(value)}`;
  }
  return out;
}
