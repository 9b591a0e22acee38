/**
 * TRTC pieces without a store: the callback signature (constant-time HMAC of
 * the raw body), reading room events, room id kinds, and the management
 * client's choice of numeric or string actions (against the loopback fake,
 * which checks TC3 signatures, the region and the parameters).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApi } from '../../shared/cloud/client';
import { ConfigError, loadConfig } from '../../shared/config';
import { AppError } from '../../shared/errors';
import { readTrtcEvent, verifyTrtcSignature } from '../../shared/trtc/callback';
import { createTrtcClient, trtcCallSettled } from '../../shared/trtc/client';
import { trtcRoomId } from '../../shared/trtc/room-id';
import { CLOUD, startTestCloud } from '../support/harness';
import type { FakeCloud } from '../support/fake-cloud';

const KEY = 'abcDEF0123456789';
const sign = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('base64');

describe('TRTC configuration', () => {
  const BASE = { LIVE_APP_ID: '1250000000', LIVE_BIZID: '8888', LIVE_PUSH_SECRET_KEY: 'e'.repeat(32), IM_SDK_APP_ID: '1400000000', IM_SECRET_KEY: 'a'.repeat(64), IM_ADMINISTRATOR: 'administrator' };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ ...BASE, ...env });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  it('defaults: 4 members, keys for 300 s with enter + send/receive audio/video (62), callbacks off, ap-guangzhou; per-type overrides apply', () => {
    const config = loadConfig({ ...BASE, WEBRTC_ROOM_HEARTBEAT_TIMEOUT: '30', WEBRTC_ROOM_CREATOR_CAN_DESTROY_ROOM: 'true' });
    expect(config.rooms.webrtc_room).toMatchObject({ maxMembers: 4, heartbeatTimeoutMs: 30_000, creatorEndsRoom: true });
    expect(config.rooms.multi_room).toMatchObject({ heartbeatTimeoutMs: 20_000, creatorEndsRoom: false });
    expect(config.trtc).toEqual({ privateMapKeyTtlSeconds: 300, privilegeMap: 62, callbackKey: undefined, region: 'ap-guangzhou', presenceMaxSilenceMs: 600_000 });
  });

  it('refuses bad values by name', () => {
    expect(problems({ TRTC_PRIVILEGE_MAP: '60' })).toEqual(['TRTC_PRIVILEGE_MAP must include 2 (enter the room)']);
    expect(problems({ TRTC_PRIVILEGE_MAP: '256' })).toEqual(['TRTC_PRIVILEGE_MAP must be at most 255']);
    expect(problems({ TRTC_CALLBACK_KEY: 'has-dash' })).toEqual([expect.stringMatching(/^TRTC_CALLBACK_KEY must be 1-32 letters and digits/)]);
    expect(problems({ TRTC_API_REGION: 'ap-shanghai' })).toEqual([expect.stringMatching(/^TRTC_API_REGION must be ap-guangzhou/)]);
    expect(problems({ WEBRTC_ROOM_MAX_MEMBERS: '0' })).toEqual(['WEBRTC_ROOM_MAX_MEMBERS must be at least 1']);
    expect(problems({ TRTC_PRIVATE_MAP_KEY_TTL: '-5' })).toEqual(['TRTC_PRIVATE_MAP_KEY_TTL must be positive']);
  });
});

describe('verifyTrtcSignature', () => {
  const body = '{"EventGroupId":1,"EventType":103}';
  const refusal = (fn: () => void) => {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error instanceof AppError ? [error.status, error.code, error.message] : error;
    }
  };

  it('accepts exactly base64(HMAC-SHA256(key, raw body)) and refuses anything else with HTTP 403, code 7', () => {
    expect(refusal(() => verifyTrtcSignature(KEY, body, sign(body)))).toBeUndefined();
    expect(refusal(() => verifyTrtcSignature(KEY, body + ' ', sign(body)))).toEqual([403, 7, expect.stringMatching(/Sign does not match/)]);
    expect(refusal(() => verifyTrtcSignature(KEY, body, sign(body, 'otherKey')))).toEqual([403, 7, expect.stringMatching(/Sign does not match/)]);
    expect(refusal(() => verifyTrtcSignature(KEY, body, sign(body).slice(0, 20)))).toEqual([403, 7, expect.stringMatching(/Sign does not match/)]);
    expect(refusal(() => verifyTrtcSignature(KEY, body, undefined))).toEqual([403, 7, expect.stringMatching(/Sign header is missing/)]);
    expect(refusal(() => verifyTrtcSignature(undefined, body, sign(body)))).toEqual([403, 7, expect.stringMatching(/TRTC_CALLBACK_KEY is not set/)]);
  });

  it('accepts only the canonical base64 text: junk the decoder would skip, or changed unused bits, is refused', () => {
    const good = sign(body);
    // The last character before '=' carries 2 unused bits: a neighbour in the alphabet decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = good.at(-2)!;
    const sameBytes = good.slice(0, -2) + alphabet[alphabet.indexOf(last) ^ 1] + '=';
    expect(Buffer.from(sameBytes, 'base64')).toEqual(Buffer.from(good, 'base64'));
    for (const forged of [`${good}!!**`, ` ${good}`, `${good}\n`, good.replace('=', ''), sameBytes]) {
      expect(refusal(() => verifyTrtcSignature(KEY, body, forged))).toEqual([403, 7, expect.stringMatching(/Sign does not match/)]);
    }
  });
});

describe('readTrtcEvent', () => {
  const info = { RoomId: 12345, EventTs: 1795950001, EventMsTs: 1795950001234, UserId: 'alice', Reason: 2 };
  it('reads 102/103/104 room events, ordered by EventMsTs (else EventTs in ms); numeric room ids in decimal', () => {
    expect(readTrtcEvent({ EventGroupId: 1, EventType: 104, EventInfo: info }, CLOUD.sdkAppId, String(CLOUD.sdkAppId))).toEqual({ kind: 'left', roomId: '12345', userId: 'alice', at: 1795950001234, reason: 2 });
    expect(readTrtcEvent({ EventGroupId: 1, EventType: 103, EventInfo: { ...info, EventMsTs: undefined, RoomId: 'room-a' } }, CLOUD.sdkAppId, undefined)).toMatchObject({ kind: 'entered', roomId: 'room-a', at: 1795950001000 });
    expect(readTrtcEvent({ EventGroupId: 1, EventType: 102, EventInfo: { RoomId: 7, EventMsTs: 5 } }, CLOUD.sdkAppId, undefined)).toEqual({ kind: 'dismissed', roomId: '7', userId: '', at: 5, reason: undefined });
  });

  it('ignores what is not ours to act on', () => {
    const ignored = (body: Record<string, unknown>, app?: string) => 'ignored' in readTrtcEvent(body, CLOUD.sdkAppId, app);
    expect(ignored({ EventGroupId: 2, EventType: 201, EventInfo: info })).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 105, EventInfo: info })).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 104, EventInfo: info }, '1400000001')).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 104, EventInfo: { ...info, UserId: 'bad user' } })).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 104, EventInfo: { ...info, RoomId: 'has space' } })).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 104, EventInfo: { ...info, EventTs: undefined, EventMsTs: undefined } })).toBe(true);
    expect(ignored({ EventGroupId: 1, EventType: 104 })).toBe(true);
  });
});

describe('TRTC room ids', () => {
  it('a canonical decimal 1..4294967294 is numeric; anything else is a string room id', () => {
    expect(['1', '12345', '4294967294'].map(trtcRoomId)).toEqual([1, 12345, 4294967294]);
    expect(['0', '007', '4294967295', '99999999999', '-1', '1.5', 'room_1', ''].map(trtcRoomId)).toEqual(Array(8).fill(undefined));
  });
});

describe('TRTC management client', () => {
  let fake: FakeCloud;
  beforeAll(async () => {
    fake = await startTestCloud();
  });
  afterAll(async () => fake.close());

  it('calls the numeric or string actions, signed, with the region, in batches of 10 users; a gone room settles the effect', async () => {
    const cloud = createCloudApi({ baseUrl: fake.cloudBaseUrl, region: undefined, timeoutMs: 2000, credentials: () => ({ secretId: CLOUD.cloudSecretId, secretKey: CLOUD.cloudSecretKey }) });
    const trtc = createTrtcClient(cloud, { sdkAppId: CLOUD.sdkAppId, region: 'ap-guangzhou' });
    await trtc.dismissRoom('4242');
    await trtc.dismissRoom('team-1');
    await trtc.removeUsers('4242', Array.from({ length: 12 }, (_, i) => `u${i}`));
    fake.failNext('DismissRoom', 1, { errorCode: 'FailedOperation.RoomNotExist' });
    const gone = await trtc.dismissRoom('4242').catch((error: unknown) => error);
    fake.failNext('DismissRoom', 1, { errorCode: 'InternalError' });
    const failed = await trtc.dismissRoom('4242').catch((error: unknown) => error);

    expect(fake.trtcCalls).toEqual([
      { action: 'DismissRoom', roomId: 4242 },
      { action: 'DismissRoomByStrRoomId', roomId: 'team-1' },
      { action: 'RemoveUser', roomId: 4242, userIds: ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9'] },
      { action: 'RemoveUser', roomId: 4242, userIds: ['u10', 'u11'] },
    ]);
    expect(fake.calls.filter((c) => c.api === 'cloud').every((c) => c.signed)).toBe(true);
    expect(trtcCallSettled(gone)).toBe(true);
    expect(trtcCallSettled(failed)).toBe(false);
  });
});
