/**
 * Environment -> typed configuration. The variable names are the public
 * interface (docs/configuration.md); every problem is reported by name.
 */
import { z } from 'zod';
import { credentialsFromEnv, type CloudCredentials } from './cloud/credentials';
import { USER_ID, USER_ID_RULE } from './ids';

/**
 * Every room type the store keeps, under the same rules (capacity, heartbeats,
 * idle reclaim, list order, the cross-type id rule). Code that must treat all
 * rooms alike iterates this list; it never names the types.
 */
export const ROOM_TYPES = ['double_room', 'multi_room', 'live_room', 'webrtc_room'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];
/** The types of the RTMP protocol (rtcroom.js / liveroom.js: push URLs, pushers, IM groups made by the service). */
export const STREAM_ROOM_TYPES = ['double_room', 'multi_room', 'live_room'] as const satisfies readonly RoomType[];
/** The TRTC type (webrtcroom.js, docs/protocol.md §7): its own endpoints under /weapp/webrtc_room/. */
export const WEBRTC_ROOM = 'webrtc_room' satisfies RoomType;

export interface RoomLimits {
  /** Seats: always 2 for double rooms. */
  maxMembers: number;
  heartbeatTimeoutMs: number;
  idleTimeoutMs: number;
  maxAudiences: number;
  /** Live rooms always end with their creator; double/multi only when configured. */
  creatorEndsRoom: boolean;
  /** Rooms one user may hold open (created and not ended) across all types (ROOMS_PER_USER, the same for every type). */
  roomsPerUser: number;
  /** Caps of one room's custom fields: how many, and their bytes (names + values). */
  maxCustomFields: number;
  maxCustomBytes: number;
}

export interface Config {
  port: number;
  /** The self-hosted server (server/index.ts) and the local gateway; SCF functions ignore these. */
  server: {
    /** Address the self-hosted server listens on (the local gateway: 127.0.0.1 always). */
    host: string;
    /** Worker processes of the self-hosted server; 0: one per CPU core. */
    workers: number;
    /** Sweeper period in ms (0: off); the timer trigger's period in the cloud. */
    sweepIntervalMs: number;
    /** How long a shutdown waits for requests in flight before dropping them. */
    shutdownGraceMs: number;
  };
  redisUrl: string | undefined;
  redisCluster: boolean;
  keyPrefix: string;
  /** ROOM_SLOT_CHECK: every room script call asserts it names keys in one Cluster slot (the cluster test run). */
  roomSlotCheck: boolean;
  live: {
    appId: string;
    bizid: string;
    pushSecretKey: string;
    playSecretKey: string | undefined;
    validTimeSeconds: number;
    pushDomain: string;
    playDomain: string;
    checkStreamBeforeEvict: boolean;
    /** How long a silent pusher is kept while the stream state API fails or times out. */
    checkStreamMaxSpareMs: number;
    /** Key of the push/disconnect callbacks (`sign = md5(key + t)`); callbacks are refused without it. */
    callbackKey: string | undefined;
    /** A callback whose `t` (its expiry) is further ahead than this is refused (LIVE_CALLBACK_MAX_AHEAD_SECONDS). */
    callbackMaxAheadSeconds: number;
  };
  /** Tencent Cloud API 3.0 (live now; the same credentials and transport for every service). */
  cloud: {
    /** `CLOUD_API_BASE_URL`: one origin for every service (tests, local gateway); else each service's public endpoint. */
    baseUrl: string | undefined;
    region: string | undefined;
    timeoutMs: number;
    /** The execution role's temporary credentials, else CLOUD_API_SECRET_ID/KEY; undefined when neither is set. */
    credentials: () => CloudCredentials | undefined;
  };
  im: {
    sdkAppId: number;
    secretKey: string;
    administrator: string;
    accountType: string;
    apiBaseUrl: string;
    notifyMode: 'auto' | 'system' | 'custom' | 'both';
    timeoutMs: number;
    maxAttempts: number;
  };
  sessionTtlSeconds: number;
  /** Live sessions one user may hold; a new login evicts the oldest beyond it. */
  sessionMaxPerUser: number;
  /** User ids nobody may sign in as (the IM administrator is always among them), lowercase. */
  reservedUserIds: ReadonlySet<string>;
  /** check_config answers its details only to a caller presenting this key. */
  operatorKey: string | undefined;
  /** Bearer key of the admin API (`/admin/`); the whole plane answers 404 without it. */
  adminApiKey: string | undefined;
  /** HMAC key for session tokens; derived from IM_SECRET_KEY unless SESSION_SECRET is set. */
  sessionSecret: string;
  corsOrigins: string[];
  authMode: 'demo' | 'jwt' | 'off';
  jwt: { secret: string | undefined; jwksUrl: string | undefined; issuer: string | undefined; audience: string | undefined; maxAgeSeconds: number };
  rateLimit: { perUserPerMinute: number; perIpPerMinute: number };
  sweepBatch: number;
  rooms: Record<RoomType, RoomLimits>;
  /** TRTC (webrtc_room): PrivateMapKeys, room callbacks, the room management API. */
  trtc: {
    /** Seconds a PrivateMapKey stays valid for entering (TRTC_PRIVATE_MAP_KEY_TTL). */
    privateMapKeyTtlSeconds: number;
    /** Privilege bits of a member's PrivateMapKey (TRTC_PRIVILEGE_MAP); the room's creator also gets 1 (create). */
    privilegeMap: number;
    /** Key of the room callbacks (`Sign` = base64(HMAC-SHA256(key, body))); callbacks are refused without it. */
    callbackKey: string | undefined;
    /** Key of the cloud recording callbacks (TRTC_RECORDING_CALLBACK_KEY, same scheme); they are refused without it. */
    recordingCallbackKey: string | undefined;
    /** `X-TC-Region` of the TRTC management API (it requires one). */
    region: string;
    /** How long a member TRTC reported present is kept without heartbeats (TRTC_PRESENCE_MAX_SILENCE). */
    presenceMaxSilenceMs: number;
  };
  /** The room event log's bounds (shared/events). */
  eventLog: { maxLength: number; maxAgeMs: number; hardMaxLength: number };
  /** Signed webhooks from the event log (shared/events/webhooks.ts); `urls` empty: none. */
  webhooks: { urls: string[]; secret: string | undefined; timeoutMs: number; maxAttempts: number; retryBaseMs: number };
  /**
   * Request, heartbeat and outbound-call counters (shared/metrics/recorder.ts):
   * `enabled` false records none of those (room events are still counted
   * inside their scripts); counts are written to Redis at most every `flushMs`.
   */
  metrics: { enabled: boolean; flushMs: number };
  /** Cloud recording (docs/recording.md); undefined without RECORD_STORAGE: nothing records. */
  recording: RecordingConfig | undefined;
}

/** Where recordings go and which rooms record by themselves (RECORD_* variables). */
export interface RecordingConfig {
  /** Room types recorded from their start to their end without an admin's start (RECORD_ROOM_TYPES). */
  autoTypes: ReadonlySet<RoomType>;
  /** webrtc_room's files: VOD (TencentVod, optional sub-application) or a COS bucket the recorder uploads to with its own key. */
  storage:
    | { kind: 'vod'; subAppId: number | undefined }
    | { kind: 'cos'; bucket: string; region: string; secretId: string; secretKey: string; prefix: string };
  /** Live recording template (CreateRecordTask TemplateId); undefined: the platform's default (HLS). */
  liveTemplateId: number | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`configuration invalid: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const digits = (min: number, max: number, what: string) =>
  z.string().regex(new RegExp(`^\\d{${min},${max}}$`), `must be ${what}`);
const hex32 = z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters');
const seconds = z.coerce.number({ error: 'must be a number of seconds' }).positive('must be positive').max(31 * 24 * 3600, 'is too large');
const positiveInt = (max: number) => z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');
const url = z.url({ error: 'must be an http(s) URL', protocol: /^https?$/ });
/** Most webhook receivers: each costs a delivery loop per kick. */
export const MAX_WEBHOOK_URLS = 5;
// Entries are named by position, never echoed: a receiver's URL may carry a token.
const urlList = z.string().transform((value, ctx) => {
  const urls = value.split(',').map((s) => s.trim()).filter(Boolean);
  urls.forEach((entry, i) => {
    if (!url.safeParse(entry).success) ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not an http(s) URL (comma-separated list)` });
  });
  if (urls.length > MAX_WEBHOOK_URLS) ctx.addIssue({ code: 'custom', message: `lists ${urls.length} URLs; at most ${MAX_WEBHOOK_URLS}` });
  if (new Set(urls).size !== urls.length) ctx.addIssue({ code: 'custom', message: 'lists a URL twice' });
  return urls;
});
const host = z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a host name');

const envSchema = z.object({
  // 0: any free port (the server and the gateway print the one they got).
  PORT: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be from 0 to 65535').max(65535, 'must be from 0 to 65535').default(5757),
  HOST: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be an IP address or host name').default('0.0.0.0'),
  WORKERS: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be 0 (one per core) or more').max(256, 'must be at most 256').default(0),
  SWEEP_INTERVAL_MS: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be 0 (off) or more').max(3_600_000, 'must be at most 3600000').default(5000),
  SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be 0 or more').max(600_000, 'must be at most 600000').default(10_000),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  REDIS_CLUSTER: bool.default(false),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]{1,32}$/, 'must be 1-32 of A-Z a-z 0-9 _ : -').default('rs'),
  // Validated here; shared/rooms/partitions.ts reads it from the process environment
  // once, since every key name depends on it (fixed for a deployment's data).
  ROOM_PARTITIONS: positiveInt(1024).default(1),
  // The cluster test run's check that every room script stays in one slot (store.ts assertOneSlot).
  ROOM_SLOT_CHECK: bool.default(false),
  LIVE_APP_ID: digits(1, 12, 'the live appID (digits)'),
  LIVE_BIZID: digits(1, 10, 'the live bizid (digits)'),
  LIVE_PUSH_SECRET_KEY: hex32,
  LIVE_PLAY_SECRET_KEY: hex32.optional(),
  LIVE_VALID_TIME: seconds.default(604800),
  LIVE_PUSH_DOMAIN: host.optional(),
  LIVE_PLAY_DOMAIN: host.optional(),
  LIVE_CALLBACK_KEY: z.string().regex(/^[\x21-\x7e]{8,128}$/, 'must be 8-128 printable characters without spaces').optional(),
  // Tencent sets t about 10 minutes ahead (doc 267/47025); a signature is replayable until t.
  LIVE_CALLBACK_MAX_AHEAD_SECONDS: seconds.max(24 * 3600, 'is too large (at most 86400)').default(900),
  CHECK_STREAM_BEFORE_EVICT: bool.default(false),
  CHECK_STREAM_MAX_SPARE: seconds.default(60),
  CLOUD_API_SECRET_ID: z.string().regex(/^[A-Za-z0-9]{8,128}$/, 'must be a SecretId (letters and digits)').optional(),
  CLOUD_API_SECRET_KEY: z.string().regex(/^[A-Za-z0-9+/=_-]{8,128}$/, 'must be a SecretKey').optional(),
  CLOUD_API_BASE_URL: url.optional(),
  CLOUD_API_REGION: z.string().regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'must be a region id such as ap-guangzhou').optional(),
  CLOUD_API_TIMEOUT_MS: positiveInt(60000).default(3000),
  IM_SDK_APP_ID: digits(1, 12, 'the IM SDKAppID (digits)').transform(Number),
  IM_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex character IM secret key'),
  IM_ADMINISTRATOR: z.string().regex(USER_ID, `must be an IM account name (${USER_ID_RULE})`),
  IM_ACCOUNT_TYPE: z.string().max(16, 'is too long').default('0'),
  IM_API_BASE_URL: url.default('https://console.tim.qq.com'),
  IM_NOTIFY_MODE: z.enum(['auto', 'system', 'custom', 'both'], { error: 'must be auto, system, custom or both' }).default('auto'),
  IM_TIMEOUT_MS: positiveInt(60000).default(3000),
  IM_MAX_ATTEMPTS: positiveInt(10).default(3),
  SESSION_TTL: seconds.default(604800),
  SESSION_MAX_PER_USER: positiveInt(1000).default(10),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  CORS_ALLOW_ORIGINS: z.string().default('*'),
  AUTH_MODE: z.enum(['demo', 'jwt', 'off'], { error: 'must be demo, jwt or off' }).default('demo'),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWKS_URL: url.optional(),
  AUTH_JWT_ISSUER: z.string().optional(),
  AUTH_JWT_AUDIENCE: z.string().optional(),
  AUTH_JWT_MAX_AGE: seconds.default(86400),
  AUTH_RESERVED_USER_IDS: z.string().regex(/^[A-Za-z0-9_@.,-]*$/, 'must be a comma-separated list of user ids').default('administrator'),
  ROOMS_PER_USER: positiveInt(10000).default(10),
  CUSTOM_MAX_FIELDS: positiveInt(10000).default(32),
  CUSTOM_MAX_BYTES: positiveInt(1_000_000).default(8192),
  CHECK_CONFIG_OPERATOR_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  METRICS: bool.default(true),
  METRICS_FLUSH_SECONDS: z.coerce.number({ error: 'must be a number' }).min(0, 'must be from 0 to 60').max(60, 'must be from 0 to 60').default(1),
  ADMIN_API_KEY: z.string().regex(/^[\x21-\x7e]{32,256}$/, 'must be 32-256 printable characters without spaces').optional(),
  RATE_LIMIT_PER_USER: z.coerce.number({ error: 'must be an integer' }).int().min(0).default(600),
  RATE_LIMIT_PER_IP: z.coerce.number({ error: 'must be an integer' }).int().min(0).default(6000),
  SWEEP_BATCH: positiveInt(10000).default(200),
  MULTI_ROOM_MAX_MEMBERS: positiveInt(50).default(4),
  WEBRTC_ROOM_MAX_MEMBERS: positiveInt(1000).default(4),
  TRTC_PRIVATE_MAP_KEY_TTL: seconds.default(300),
  // Bit 2 (enter) is required: a key without it lets nobody in. (Out of range is reported by the range check alone.)
  TRTC_PRIVILEGE_MAP: positiveInt(255).refine((bits) => bits > 255 || (bits & 2) === 2, 'must include 2 (enter the room)').default(62),
  TRTC_CALLBACK_KEY: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters and digits (the key set in the TRTC console)').optional(),
  TRTC_PRESENCE_MAX_SILENCE: seconds.default(600),
  TRTC_API_REGION: z.enum(['ap-guangzhou', 'ap-beijing', 'ap-singapore', 'ap-mumbai'], { error: 'must be ap-guangzhou, ap-beijing, ap-singapore or ap-mumbai' }).default('ap-guangzhou'),
  LIVE_ROOM_MAX_MEMBERS: positiveInt(50).default(4),
  LIVE_ROOM_MAX_AUDIENCES: positiveInt(10000).default(30),
  HEARTBEAT_TIMEOUT: seconds.default(20),
  ROOM_IDLE_TIMEOUT: seconds.default(30),
  CREATOR_CAN_DESTROY_ROOM: bool.default(false),
  EVENT_LOG_MAX_LEN: positiveInt(10_000_000).default(100_000),
  EVENT_LOG_MAX_AGE_SECONDS: seconds.default(3 * 24 * 3600),
  // Events a lagging webhook receiver still needs are kept past the two above, up to this (about 280-330 B each, docs/events-and-webhooks.md).
  EVENT_LOG_HARD_MAX_LEN: positiveInt(10_000_000).default(300_000),
  WEBHOOK_URL: urlList.optional(),
  WEBHOOK_SECRET: z.string().regex(/^[\x21-\x7e]{16,256}$/, 'must be 16-256 printable characters without spaces').optional(),
  WEBHOOK_TIMEOUT_MS: positiveInt(30_000).default(5000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(30).default(10),
  WEBHOOK_RETRY_BASE_MS: positiveInt(3_600_000).default(1000),
  RECORD_STORAGE: z.enum(['vod', 'cos'], { error: 'must be vod or cos' }).optional(),
  RECORD_ROOM_TYPES: z
    .string()
    .transform((list) => list.split(',').map((t) => t.trim()).filter(Boolean))
    .refine((types) => types.every((t) => (ROOM_TYPES as readonly string[]).includes(t)), `must be a comma-separated list of ${ROOM_TYPES.join(', ')}`)
    .optional(),
  RECORD_VOD_SUBAPP_ID: digits(1, 12, 'the VOD sub-application id (digits)').transform(Number).optional(),
  RECORD_COS_BUCKET: z.string().regex(/^[a-z0-9-]{1,50}-\d{5,12}$/, 'must be a COS bucket name (<name>-<appid>)').optional(),
  RECORD_COS_REGION: z.string().regex(/^[a-z]{2,4}-[a-z]+(-\d)?$/, 'must be a COS region such as ap-guangzhou').optional(),
  RECORD_COS_SECRET_ID: z.string().regex(/^[A-Za-z0-9]{16,128}$/, 'must be the SecretId of a key allowed to write the bucket').optional(),
  RECORD_COS_SECRET_KEY: z.string().regex(/^[A-Za-z0-9]{16,128}$/, 'must be the SecretKey of that key').optional(),
  RECORD_COS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ and - (one folder name)').default('recordings'),
  RECORD_LIVE_TEMPLATE_ID: digits(1, 12, 'a live recording template id (digits)').transform(Number).optional(),
  TRTC_RECORDING_CALLBACK_KEY: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters and digits (the key set in the TRTC console for recording callbacks)').optional(),
});

/** Per-type overrides: `{DOUBLE,MULTI,LIVE,WEBRTC}_ROOM_<NAME>`. */
const overrideSchema = z.object({
  HEARTBEAT_TIMEOUT: seconds.optional(),
  ROOM_IDLE_TIMEOUT: seconds.optional(),
  CREATOR_CAN_DESTROY_ROOM: bool.optional(),
  MAX_AUDIENCES: positiveInt(10000).optional(),
});

/** Every variable name the service reads (for deploy checks and docs). */
export const CONFIG_VARIABLES: readonly string[] = [
  ...new Set([
    ...Object.keys(envSchema.shape),
    ...ROOM_TYPES.flatMap((type) => Object.keys(overrideSchema.shape).map((name) => `${type.toUpperCase()}_${name}`)),
  ]),
];

type Env = Record<string, string | undefined>;

/** Empty strings count as unset: SCF consoles and .env files often leave `NAME=`. */
function present(env: Env): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v.trim() !== '') out[k] = v.trim();
  return out;
}

function problemsOf(error: z.ZodError, env: Env, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const name = `${prefix}${String(issue.path[0] ?? '?')}`;
    return env[name] === undefined ? `${name} is required` : `${name} ${issue.message}`;
  });
}

export function loadConfig(rawEnv: Env = process.env): Config {
  const env = present(rawEnv);
  // jitless: zod would otherwise generate and compile a parser for this 60-field
  // object (new Function) to run it once per container, a few ms of every cold start.
  const parsed = envSchema.safeParse(env, { jitless: true });
  const problems = parsed.success ? [] : problemsOf(parsed.error, env);
  const overrides: Partial<Record<RoomType, z.infer<typeof overrideSchema>>> = {};
  for (const type of ROOM_TYPES) {
    const prefix = `${type.toUpperCase()}_`;
    const slice: Env = {};
    for (const name of Object.keys(overrideSchema.shape)) slice[name] = env[prefix + name];
    const result = overrideSchema.safeParse(slice, { jitless: true });
    if (result.success) overrides[type] = result.data;
    else problems.push(...problemsOf(result.error, env, prefix));
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  if (e.AUTH_MODE === 'jwt' && !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL) {
    throw new ConfigError(['AUTH_JWT_SECRET or AUTH_JWKS_URL is required when AUTH_MODE=jwt']);
  }
  if ((e.WEBHOOK_URL ?? []).length > 0 && !e.WEBHOOK_SECRET) {
    throw new ConfigError(['WEBHOOK_SECRET is required when WEBHOOK_URL is set (receivers check the signature made with it)']);
  }
  if (e.EVENT_LOG_HARD_MAX_LEN < e.EVENT_LOG_MAX_LEN) {
    throw new ConfigError([`EVENT_LOG_HARD_MAX_LEN must be at least EVENT_LOG_MAX_LEN (${e.EVENT_LOG_MAX_LEN})`]);
  }
  if (Boolean(e.CLOUD_API_SECRET_ID) !== Boolean(e.CLOUD_API_SECRET_KEY)) {
    throw new ConfigError([`${e.CLOUD_API_SECRET_ID ? 'CLOUD_API_SECRET_KEY' : 'CLOUD_API_SECRET_ID'} is required when ${e.CLOUD_API_SECRET_ID ? 'CLOUD_API_SECRET_ID' : 'CLOUD_API_SECRET_KEY'} is set`]);
  }

  const limits = (type: RoomType, maxMembers: number): RoomLimits => {
    const o = overrides[type] ?? {};
    return {
      maxMembers,
      heartbeatTimeoutMs: Math.round((o.HEARTBEAT_TIMEOUT ?? e.HEARTBEAT_TIMEOUT) * 1000),
      idleTimeoutMs: Math.round((o.ROOM_IDLE_TIMEOUT ?? e.ROOM_IDLE_TIMEOUT) * 1000),
      maxAudiences: o.MAX_AUDIENCES ?? e.LIVE_ROOM_MAX_AUDIENCES,
      creatorEndsRoom: type === 'live_room' ? true : (o.CREATOR_CAN_DESTROY_ROOM ?? e.CREATOR_CAN_DESTROY_ROOM),
      roomsPerUser: e.ROOMS_PER_USER,
      maxCustomFields: e.CUSTOM_MAX_FIELDS,
      maxCustomBytes: e.CUSTOM_MAX_BYTES,
    };
  };

  return {
    port: e.PORT,
    server: { host: e.HOST, workers: e.WORKERS, sweepIntervalMs: e.SWEEP_INTERVAL_MS, shutdownGraceMs: e.SHUTDOWN_GRACE_MS },
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    keyPrefix: e.REDIS_KEY_PREFIX,
    roomSlotCheck: e.ROOM_SLOT_CHECK,
    live: {
      appId: e.LIVE_APP_ID,
      bizid: e.LIVE_BIZID,
      pushSecretKey: e.LIVE_PUSH_SECRET_KEY.toLowerCase(),
      playSecretKey: e.LIVE_PLAY_SECRET_KEY?.toLowerCase(),
      validTimeSeconds: e.LIVE_VALID_TIME,
      pushDomain: e.LIVE_PUSH_DOMAIN ?? `${e.LIVE_BIZID}.livepush.myqcloud.com`,
      playDomain: e.LIVE_PLAY_DOMAIN ?? `${e.LIVE_BIZID}.liveplay.myqcloud.com`,
      checkStreamBeforeEvict: e.CHECK_STREAM_BEFORE_EVICT,
      checkStreamMaxSpareMs: Math.round(e.CHECK_STREAM_MAX_SPARE * 1000),
      callbackKey: e.LIVE_CALLBACK_KEY,
      callbackMaxAheadSeconds: e.LIVE_CALLBACK_MAX_AHEAD_SECONDS,
    },
    cloud: {
      baseUrl: e.CLOUD_API_BASE_URL?.replace(/\/+$/, ''),
      region: e.CLOUD_API_REGION,
      timeoutMs: e.CLOUD_API_TIMEOUT_MS,
      // The raw environment, read at each call: SCF may renew the role's temporary credentials.
      credentials: credentialsFromEnv(rawEnv, { secretId: e.CLOUD_API_SECRET_ID, secretKey: e.CLOUD_API_SECRET_KEY }),
    },
    im: {
      sdkAppId: e.IM_SDK_APP_ID,
      secretKey: e.IM_SECRET_KEY,
      administrator: e.IM_ADMINISTRATOR,
      accountType: e.IM_ACCOUNT_TYPE,
      apiBaseUrl: e.IM_API_BASE_URL.replace(/\/+$/, ''),
      notifyMode: e.IM_NOTIFY_MODE,
      timeoutMs: e.IM_TIMEOUT_MS,
      maxAttempts: e.IM_MAX_ATTEMPTS,
    },
    sessionTtlSeconds: e.SESSION_TTL,
    sessionMaxPerUser: e.SESSION_MAX_PER_USER,
    reservedUserIds: new Set([e.IM_ADMINISTRATOR, ...e.AUTH_RESERVED_USER_IDS.split(',')].map((id) => id.trim().toLowerCase()).filter(Boolean)),
    operatorKey: e.CHECK_CONFIG_OPERATOR_KEY,
    adminApiKey: e.ADMIN_API_KEY,
    sessionSecret: e.SESSION_SECRET ?? `derived:${e.IM_SECRET_KEY}`,
    corsOrigins: e.CORS_ALLOW_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    authMode: e.AUTH_MODE,
    jwt: { secret: e.AUTH_JWT_SECRET, jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_JWT_ISSUER, audience: e.AUTH_JWT_AUDIENCE, maxAgeSeconds: e.AUTH_JWT_MAX_AGE },
    rateLimit: { perUserPerMinute: e.RATE_LIMIT_PER_USER, perIpPerMinute: e.RATE_LIMIT_PER_IP },
    sweepBatch: e.SWEEP_BATCH,
    rooms: {
      double_room: limits('double_room', 2),
      multi_room: limits('multi_room', e.MULTI_ROOM_MAX_MEMBERS),
      live_room: limits('live_room', e.LIVE_ROOM_MAX_MEMBERS),
      webrtc_room: limits('webrtc_room', e.WEBRTC_ROOM_MAX_MEMBERS),
    },
    trtc: {
      privateMapKeyTtlSeconds: e.TRTC_PRIVATE_MAP_KEY_TTL,
      privilegeMap: e.TRTC_PRIVILEGE_MAP,
      callbackKey: e.TRTC_CALLBACK_KEY,
      recordingCallbackKey: e.TRTC_RECORDING_CALLBACK_KEY,
      region: e.TRTC_API_REGION,
      presenceMaxSilenceMs: Math.round(e.TRTC_PRESENCE_MAX_SILENCE * 1000),
    },
    eventLog: { maxLength: e.EVENT_LOG_MAX_LEN, maxAgeMs: Math.round(e.EVENT_LOG_MAX_AGE_SECONDS * 1000), hardMaxLength: e.EVENT_LOG_HARD_MAX_LEN },
    webhooks: {
      urls: e.WEBHOOK_URL ?? [],
      secret: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
    },
    metrics: { enabled: e.METRICS, flushMs: Math.round(e.METRICS_FLUSH_SECONDS * 1000) },
    recording: recordingConfig(e),
  };
}

/** RECORD_*: none without RECORD_STORAGE; COS needs its bucket, region and key, named when missing. */
function recordingConfig(e: z.infer<typeof envSchema>): RecordingConfig | undefined {
  if (!e.RECORD_STORAGE) {
    if ((e.RECORD_ROOM_TYPES ?? []).length > 0) throw new ConfigError(['RECORD_STORAGE is required when RECORD_ROOM_TYPES is set (vod or cos: where the files go)']);
    return undefined;
  }
  let storage: RecordingConfig['storage'];
  if (e.RECORD_STORAGE === 'cos') {
    const missing = (['RECORD_COS_BUCKET', 'RECORD_COS_REGION', 'RECORD_COS_SECRET_ID', 'RECORD_COS_SECRET_KEY'] as const).filter((name) => !e[name]);
    if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name} is required when RECORD_STORAGE=cos`));
    storage = { kind: 'cos', bucket: e.RECORD_COS_BUCKET!, region: e.RECORD_COS_REGION!, secretId: e.RECORD_COS_SECRET_ID!, secretKey: e.RECORD_COS_SECRET_KEY!, prefix: e.RECORD_COS_PREFIX };
  } else {
    storage = { kind: 'vod', subAppId: e.RECORD_VOD_SUBAPP_ID };
  }
  return {
    autoTypes: new Set((e.RECORD_ROOM_TYPES ?? []) as RoomType[]),
    storage,
    liveTemplateId: e.RECORD_LIVE_TEMPLATE_ID,
  };
}
