/**
 * The services one container shares across warm invocations: configuration,
 * the Redis client, the stores and the cloud API clients. Built on first use
 * from the environment; the local gateway and tests install their own.
 */
import { createCloudApi } from './cloud/client';
import { ConfigError, loadConfig, type Config } from './config';
import { createImClient, type ImClient } from './im/client';
import { createLiveApiClient, type LiveApiClient } from './live/client';
import { log } from './log';
import { connectRedis, type RedisClient } from './redis';
import { SessionStore } from './auth/sessions';
import { RoomStore } from './rooms/store';
import { AdminStore } from './rooms/admin-store';
import { IpRateLimiter } from './auth/rate-limit';
import { createTrtcClient, type TrtcClient } from './trtc/client';
import { kickWebhooks } from './events/webhooks';
import type { Runtime } from './services';
import { setMetricsEnabled } from './metrics/recorder';
import { RecordingStore } from './rooms/recording-store';
import { createRecordingClient, type RecordingClient } from './recording/client';

export type { Runtime } from './services';

let current: Runtime | undefined;

export function buildRuntime(config: Config, parts: { redis?: RedisClient; im?: ImClient; live?: LiveApiClient; trtc?: TrtcClient } = {}): Runtime {
  let redis = parts.redis;
  if (!redis) {
    // Only the local gateway runs without Redis (it passes its own emulation); a
    // function without it answers 5002 naming the variable, like any config problem.
    if (!config.redisUrl) throw new ConfigError(['REDIS_URL is required (the TencentDB for Redis address, e.g. redis://:password@10.0.0.5:6379)']);
    redis = connectRedis(config.redisUrl, config.redisCluster);
  }
  const im =
    parts.im ??
    createImClient(
      {
        baseUrl: config.im.apiBaseUrl,
        sdkAppId: config.im.sdkAppId,
        secretKey: config.im.secretKey,
        administrator: config.im.administrator,
        notifyMode: config.im.notifyMode,
        timeoutMs: config.im.timeoutMs,
        maxAttempts: config.im.maxAttempts,
        baseDelayMs: 100,
      },
      log,
    );
  const cloud = createCloudApi(config.cloud, log);
  const live = parts.live ?? createLiveApiClient(cloud, { pushDomain: config.live.pushDomain });
  const rooms = new RoomStore(redis, config.keyPrefix, config.rooms, config.rateLimit, Date.now, config.eventLog, config.roomSlotCheck);
  const admin = new AdminStore(redis, config.keyPrefix, config.rooms, config.rateLimit, Date.now, config.eventLog, config.roomSlotCheck);
  const recordings = new RecordingStore(redis, config.keyPrefix, config.rooms, config.rateLimit, Date.now, config.eventLog, config.roomSlotCheck);
  if (config.recording) rooms.autoRecordTypes = config.recording.autoTypes;
  const rt: Runtime = {
    config,
    redis,
    rooms,
    admin,
    sessions: new SessionStore(redis, config.keyPrefix, config.sessionSecret, config.sessionTtlSeconds, config.sessionMaxPerUser),
    ipLimiter: new IpRateLimiter(redis, config.keyPrefix, config.rateLimit.perIpPerMinute),
    im,
    cloud,
    live,
    trtc: parts.trtc ?? createTrtcClient(cloud, { sdkAppId: config.im.sdkAppId, region: config.trtc.region }),
    recordings,
    recorder: createRecordingClient(cloud, {
      recording: config.recording ?? { autoTypes: new Set(), storage: { kind: 'vod', subAppId: undefined }, liveTemplateId: undefined },
      userSigKey: { sdkAppId: config.im.sdkAppId, secretKey: config.im.secretKey },
      trtcRegion: config.trtc.region,
      pushDomain: config.live.pushDomain,
      liveRegion: config.cloud.region,
    }),
  };
  setMetricsEnabled(config.metrics.enabled);
  // Webhooks go out right after each change, without holding up its response (shared/events/webhooks.ts).
  if (config.webhooks.urls.length > 0) rooms.onEvents = admin.onEvents = recordings.onEvents = (partition) => kickWebhooks(rt, partition);
  return rt;
}

/** The container's runtime; throws ConfigError (naming the variables) when the environment is wrong. */
export function runtime(): Runtime {
  current ??= buildRuntime(loadConfig());
  return current;
}

export function installRuntime(next: Runtime | undefined): void {
  current = next;
}
