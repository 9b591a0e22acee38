/**
 * What the tests, the bench and scripts/coldstart.ts share: the Redis they
 * use, the test account's credentials and the environment built from them,
 * the loopback fake of Tencent's APIs holding those credentials, and signed
 * test values. Nothing here may import vitest (or anything that does):
 * the bench and the scripts run under plain Node, and
 * tests/unit/no-vitest.test.ts fails when they reach vitest.
 */
import { pushUrl, streamPart } from '../../shared/sign/live-urls';
import { issueUserSig } from '../../shared/sign/usersig';
import { startFakeCloud, type FakeCloud } from './fake-cloud';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REDIS_CLUSTER = process.env.REDIS_CLUSTER === 'true';

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
  /** TRTC_RECORDING_CALLBACK_KEY: the cloud recording callbacks' own key. */
  trtcRecordingCallbackKey: 'trtcRecordingKey0123456789',
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
  TRTC_RECORDING_CALLBACK_KEY: CLOUD.trtcRecordingCallbackKey,
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
    // A process the tests start (the compiled server, npm start) must use this run's key layout.
    ...(process.env.ROOM_PARTITIONS ? { ROOM_PARTITIONS: process.env.ROOM_PARTITIONS } : {}),
    ...CLOUD_ENV,
    ...(fake ? { IM_API_BASE_URL: fake.imBaseUrl, CLOUD_API_BASE_URL: fake.cloudBaseUrl } : {}),
    IM_TIMEOUT_MS: '500',
    // Every test request comes from 127.0.0.1; quotas have their own tests.
    RATE_LIMIT_PER_USER: '0',
    RATE_LIMIT_PER_IP: '0',
    ...overrides,
  };
}

/** The loopback fake of the IM and live APIs, holding the test credentials. */
export const startTestCloud = (): Promise<FakeCloud> =>
  startFakeCloud({
    sdkAppId: CLOUD.sdkAppId,
    secretKey: CLOUD.secretKey,
    administrator: CLOUD.administrator,
    cloudCredentials: [{ secretId: CLOUD.cloudSecretId, secretKey: CLOUD.cloudSecretKey }],
  });

export const userSigFor = (userId: string) => issueUserSig({ sdkAppId: CLOUD.sdkAppId, secretKey: CLOUD.secretKey }, userId);

/** A push URL signed the way get_push_url signs a plain (room-less) stream. */
export function pushUrlFor(userId: string, suffix = 'ab12'): string {
  return pushUrl(
    { bizid: CLOUD.bizid, pushSecretKey: CLOUD.pushSecretKey, pushDomain: `${CLOUD.bizid}.livepush.myqcloud.com`, playDomain: `${CLOUD.bizid}.liveplay.myqcloud.com`, validTimeSeconds: 3600 },
    `${CLOUD.bizid}_${streamPart(userId)}_${suffix}`,
  );
}
