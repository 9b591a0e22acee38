/**
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
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadConfig } from '../../shared/config';
import { setLogSink } from '../../shared/log';
import { connectRedis } from '../../shared/redis';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import { main_handler as route } from '../../functions/router';
import { emulatedRedis } from '../../scripts/emulated-redis';
import type { FakeCloud } from './fake-cloud';
import { loadHttpClient } from '../../shared/cloud/transport';
import { CLOUD, startTestCloud, testEnv, userSigFor } from './test-env';

// The vitest-free part lives in test-env.ts (the bench and scripts import it); these names stay importable from here.
export { CLOUD, CLOUD_ENV, REDIS_CLUSTER, REDIS_URL, pushUrlFor, startTestCloud, testEnv, userSigFor } from './test-env';

/** Which store the harness's runtime uses: the real Redis (default) or the embedded one of `npm start`. */
export const STORE: 'redis' | 'embedded' = process.env.TEST_STORE === 'embedded' ? 'embedded' : 'redis';

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

/** Every key matching `pattern`, on every master (a cluster client's KEYS asks one node only). */
export async function keysMatching(rt: Runtime, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of await masters(rt)) keys.push(...(await node.keys(pattern)));
  return keys;
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

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The usual fixture of a test file: one harness for the file (default
 * settings), and before each test its settings, keys and fake cloud reset.
 */
export function harnessPerFile(use: (h: Harness) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
    use(h);
  });
  afterAll(async () => h?.close());
  beforeEach(async () => {
    await h!.reconfigure({});
    await h!.clean();
    h!.fake.reset();
  });
}

export async function startHarness(overrides: Record<string, string> = {}, store: 'redis' | 'embedded' = STORE): Promise<Harness> {
  const fake = await startTestCloud();
  // A test file is a warm container: the HTTP client of IM/cloud calls is loaded before its
  // first test, not inside a timed step of it (bundles load it at the first POST; tests/integration/deploy.test.ts).
  loadHttpClient();
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

type InvokeOptions = { method?: string; query?: Record<string, string>; body?: unknown; rawBody?: string; headers?: Record<string, string> };

/** Invokes the router like an API Gateway trigger would. */
export async function invoke(path: string, options: InvokeOptions = {}): Promise<Answer> {
  const response = await invokeRaw(path, options);
  return { status: response.statusCode, body: JSON.parse(response.body), headers: response.headers };
}

/** The same, for an answer that is not the JSON envelope (GET /admin/metrics, a CSV). */
export async function invokeText(path: string, options: InvokeOptions = {}): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const response = await invokeRaw(path, { method: 'GET', ...options });
  return { status: response.statusCode, text: response.body, headers: response.headers };
}

function invokeRaw(path: string, options: InvokeOptions) {
  return route({
    httpMethod: options.method ?? (path.startsWith('/weapp/utils/') ? 'GET' : 'POST'),
    path,
    headers: { 'content-type': 'application/json', ...(options.headers ?? {}) },
    queryStringParameters: options.query ?? {},
    pathParameters: {},
    body: options.rawBody ?? (options.body === undefined ? '' : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: { requestId: randomBytes(6).toString('hex'), sourceIp: '127.0.0.1' },
  });
}

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

/**
 * Room and session state under a prefix; request quota counters and the
 * metrics hashes (`<slot>m:<minute>`, `<slot>m:all`: a refused request is
 * counted too) are not state.
 */
export async function stateKeys(rt: Runtime, prefix: string): Promise<string[]> {
  const keys = await keysMatching(rt, `${prefix}:*`);
  return keys.filter((k) => !/:rl:|\{ratelimit\}|\}:m:(?:\d+|all)$/.test(k)).sort();
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
