import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError, Code } from '../../shared/errors';
import { CloudApiError, createCloudApi, type CloudApiSettings } from '../../shared/cloud/client';
import { credentialsFromEnv } from '../../shared/cloud/credentials';
import { API_REFUSED_CODES, IM_NO_ANSWER, IM_BAD_ANSWER, ImError, backoffMs, PUSHER_CHANGE_CONTENT, createImClient, type ImSettings } from '../../shared/im/client';
import { createOfflineImClient } from '../../shared/im/offline';
import { createLiveApiClient } from '../../shared/live/client';
import { createOfflineLiveApiClient } from '../../shared/live/offline';
import { issueUserSig } from '../../shared/sign/usersig';
import { startFakeCloud, type FakeCloud } from '../support/fake-cloud';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'a'.repeat(32) + 'b'.repeat(32);
const ADMIN = 'administrator';
const SECRET_ID = 'AKIDunit0123456789abcdef';
const CLOUD_SECRET = 'unitSecretKey0123456789abcdef';
const ROLE = { secretId: 'AKIDrole0123456789', secretKey: 'roleSecretKey0123456789', token: 'role-session-token' };
const PUSH_DOMAIN = '8888.livepush.myqcloud.com';

let fake: FakeCloud;
let logs: Record<string, unknown>[];
const log = (event: Record<string, unknown>) => logs.push(event);

function imSettings(overrides: Partial<ImSettings> = {}): ImSettings {
  return {
    baseUrl: fake.imBaseUrl,
    sdkAppId: SDK_APP_ID,
    secretKey: SECRET_KEY,
    administrator: ADMIN,
    notifyMode: 'system',
    timeoutMs: 1000,
    maxAttempts: 3,
    baseDelayMs: 5,
    ...overrides,
  };
}

function cloudSettings(overrides: Partial<CloudApiSettings> = {}): CloudApiSettings {
  return { baseUrl: fake.cloudBaseUrl, region: undefined, timeoutMs: 1000, credentials: () => ({ secretId: SECRET_ID, secretKey: CLOUD_SECRET }), ...overrides };
}

const liveClient = (overrides: Partial<CloudApiSettings> = {}) => createLiveApiClient(createCloudApi(cloudSettings(overrides), log), { pushDomain: PUSH_DOMAIN });
const cloudCalls = (action: string) => fake.calls.filter((c) => c.api === 'cloud' && c.command === action);

const imCalls = (command: string) => fake.calls.filter((c) => c.api === 'im' && c.command === command);

/** Runs `action` and returns what it threw (fails the test when it did not throw). */
async function thrown(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

beforeAll(async () => {
  fake = await startFakeCloud({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, administrator: ADMIN, cloudCredentials: [{ secretId: SECRET_ID, secretKey: CLOUD_SECRET }, ROLE] });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  logs = [];
});

describe('IM groups', () => {
  it('creates an AVChatRoom group owned by the administrator', async () => {
    // Prepare
    const im = createImClient(imSettings(), log);

    // Act
    await im.createGroup('room_1', 'My room');

    // Assess
    expect(fake.groups.has('room_1')).toBe(true);
    const [call] = imCalls('create_group');
    expect(call?.body).toEqual({ Owner_Account: ADMIN, Type: 'AVChatRoom', GroupId: 'room_1', Name: 'My room' });
    expect(call?.query).toMatchObject({ sdkappid: String(SDK_APP_ID), identifier: ADMIN, contenttype: 'json' });
  });

  it('treats a group it already owns (10025) as success, without retrying', async () => {
    const im = createImClient(imSettings(), log);
    await im.createGroup('room_1');

    await im.createGroup('room_1');

    expect(imCalls('create_group')).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ event: 'im_call', command: 'create_group', attempt: 1, errorCode: 10025 });
  });

  it("fails with ImError 10021 for a group id someone else uses, without retrying (not success)", async () => {
    const im = createImClient(imSettings(), log);
    fake.foreignGroups.add('taken');

    const error = await thrown(() => im.createGroup('taken'));

    expect(error).toBeInstanceOf(ImError);
    expect((error as ImError).errorCode).toBe(10021);
    expect(imCalls('create_group')).toHaveLength(1);
    expect(fake.groups.has('taken')).toBe(false);
  });

  it('treats 10025 (group id used, and the administrator owns it) as success', async () => {
    const im = createImClient(imSettings(), log);
    fake.failNext('create_group', 1, { errorCode: 10025 });

    await expect(im.createGroup('room_2')).resolves.toBeUndefined();
    expect(imCalls('create_group')).toHaveLength(1);
  });

  it('names the group after its id, cut to 30 bytes without splitting a character', async () => {
    const im = createImClient(imSettings(), log);
    const longId = 'room_' + 'x'.repeat(40);

    await im.createGroup(longId);
    await im.createGroup('room_3', '直播间直播间直播间直播间'); // 3 bytes each: 36 bytes

    expect((imCalls('create_group')[0]?.body as { Name: string }).Name).toBe(longId.slice(0, 30));
    expect((imCalls('create_group')[1]?.body as { Name: string }).Name).toBe('直播间直播间直播间直播间'.slice(0, 10));
  });

  it('destroys a group; a missing group (10010) is success, an invalid group id (10015) is an error', async () => {
    const im = createImClient(imSettings(), log);
    await im.createGroup('room_1');

    await im.destroyGroup('room_1');
    await im.destroyGroup('room_1');
    fake.failNext('destroy_group', 1, { errorCode: 10015 });
    const invalid = await thrown(() => im.destroyGroup('bad id'));

    expect(fake.groups.size).toBe(0);
    expect((invalid as ImError).errorCode).toBe(10015);
    expect(imCalls('destroy_group').map((c) => c.body)).toEqual([{ GroupId: 'room_1' }, { GroupId: 'room_1' }, { GroupId: 'bad id' }]);
  });
});

describe('IM pusher-change notification', () => {
  it("mode 'auto' sends the system notification while IM accepts it", async () => {
    const im = createImClient(imSettings({ notifyMode: 'auto' }), log);
    await im.createGroup('room_1');

    await im.notifyPusherChange('room_1');
    await im.notifyPusherChange('room_1');

    expect(fake.notifications.map((n) => n.mode)).toEqual(['system', 'system']);
    expect(imCalls('send_group_msg')).toHaveLength(0);
  });

  it.each([...API_REFUSED_CODES])(
    "mode 'auto': once IM refuses system notifications (%i), every notice goes out as a custom message, exactly once each, and the switch is logged once",
    async (code) => {
      const im = createImClient(imSettings({ notifyMode: 'auto' }), log);
      await im.createGroup('room_1');
      await im.createGroup('room_2');
      fake.refuse('send_group_system_notification', code);

      await Promise.all([im.notifyPusherChange('room_1'), im.notifyPusherChange('room_2')]);
      await im.notifyPusherChange('room_1');
      await im.notifyPusherChange('room_2');

      expect(fake.notifications.map((n) => `${n.mode}:${n.groupId}`).sort()).toEqual(['custom:room_1', 'custom:room_1', 'custom:room_2', 'custom:room_2']);
      expect(fake.notifications.every((n) => n.content === PUSHER_CHANGE_CONTENT)).toBe(true);
      // Only the calls in flight before the switch asked for the refused API.
      expect(imCalls('send_group_system_notification')).toHaveLength(2);
      expect(imCalls('send_group_msg')).toHaveLength(4);
      expect(logs.filter((l) => l.event === 'im_notify_fallback')).toEqual([expect.objectContaining({ errorCode: code })]);
    },
  );

  it("mode 'auto' does not switch on other failures: a bad request or a rate limit is reported as a failure", async () => {
    const im = createImClient(imSettings({ notifyMode: 'auto', maxAttempts: 2 }), log);
    await im.createGroup('room_1');
    fake.failNext('send_group_system_notification', 1, { errorCode: 10004 });
    fake.failNext('send_group_system_notification', 2, { errorCode: 60007 });

    expect(((await thrown(() => im.notifyPusherChange('room_1'))) as ImError).errorCode).toBe(10004);
    expect(((await thrown(() => im.notifyPusherChange('room_1'))) as ImError).errorCode).toBe(60007);
    await im.notifyPusherChange('room_1');

    expect(fake.notifications.map((n) => n.mode)).toEqual(['system']);
    expect(imCalls('send_group_msg')).toHaveLength(0);
    expect(logs.some((l) => l.event === 'im_notify_fallback')).toBe(false);
  });

  it("mode 'system' sends the exact JSON content as a group system notification", async () => {
    const im = createImClient(imSettings({ notifyMode: 'system' }), log);
    await im.createGroup('room_1');

    await im.notifyPusherChange('room_1');

    expect(PUSHER_CHANGE_CONTENT).toBe('{"cmd":"notifyPusherChange","data":""}');
    expect(fake.notifications).toEqual([{ groupId: 'room_1', mode: 'system', content: '{"cmd":"notifyPusherChange","data":""}' }]);
    expect(imCalls('send_group_msg')).toHaveLength(0);
    expect(imCalls('send_group_system_notification')[0]?.body).toEqual({ GroupId: 'room_1', Content: PUSHER_CHANGE_CONTENT });
  });

  it("mode 'custom' sends a TIMCustomElem group message carrying the same content", async () => {
    const im = createImClient(imSettings({ notifyMode: 'custom' }), log);
    await im.createGroup('room_1');

    await im.notifyPusherChange('room_1');

    expect(fake.notifications).toEqual([{ groupId: 'room_1', mode: 'custom', content: PUSHER_CHANGE_CONTENT }]);
    expect(imCalls('send_group_system_notification')).toHaveLength(0);
    const body = imCalls('send_group_msg')[0]?.body as { Random: number; MsgBody: unknown };
    expect(Number.isInteger(body.Random) && body.Random >= 0 && body.Random <= 0xffffffff).toBe(true);
    expect(body.MsgBody).toEqual([{ MsgType: 'TIMCustomElem', MsgContent: { Data: PUSHER_CHANGE_CONTENT, Desc: 'notifyPusherChange', Ext: '' } }]);
  });

  it("mode 'both' sends on both channels", async () => {
    const im = createImClient(imSettings({ notifyMode: 'both' }), log);
    await im.createGroup('room_1');

    await im.notifyPusherChange('room_1');

    expect(fake.notifications.map((n) => n.mode).sort()).toEqual(['custom', 'system']);
  });

  it("mode 'both' still sends the custom message when the system one fails, then reports the failure", async () => {
    const im = createImClient(imSettings({ notifyMode: 'both' }), log);
    await im.createGroup('room_1');
    fake.failNext('send_group_system_notification', 1, { errorCode: 10004 });

    const error = await thrown(() => im.notifyPusherChange('room_1'));

    expect(error).toBeInstanceOf(ImError);
    expect((error as ImError).errorCode).toBe(10004);
    expect(fake.notifications).toEqual([{ groupId: 'room_1', mode: 'custom', content: PUSHER_CHANGE_CONTENT }]);
  });

  it("mode 'both' retries each channel on its own", async () => {
    const im = createImClient(imSettings({ notifyMode: 'both' }), log);
    await im.createGroup('room_1');
    fake.failNext('send_group_msg', 2, { errorCode: 10023 });

    await im.notifyPusherChange('room_1');

    expect(imCalls('send_group_system_notification')).toHaveLength(1);
    expect(imCalls('send_group_msg')).toHaveLength(3);
    expect(fake.notifications).toHaveLength(2);
  });

  it('a notification to a missing group fails with 10010 at once', async () => {
    const im = createImClient(imSettings(), log);

    const error = await thrown(() => im.notifyPusherChange('no_such_room'));

    expect(error).toBeInstanceOf(ImError);
    expect(error).toMatchObject({ service: 'group_open_http_svc', errorCode: 10010 });
    expect(imCalls('send_group_system_notification')).toHaveLength(1);
  });
});

describe('IM retries', () => {
  it('retries a rate limit (60007) and then succeeds', async () => {
    const im = createImClient(imSettings({ maxAttempts: 3 }), log);
    fake.failNext('create_group', 2, { errorCode: 60007 });

    await im.createGroup('room_1');

    expect(imCalls('create_group')).toHaveLength(3);
    expect(fake.groups.has('room_1')).toBe(true);
    expect(logs.filter((l) => l.event === 'im_call').map((l) => [l.attempt, l.errorCode])).toEqual([
      [1, 60007],
      [2, 60007],
      [3, 0],
    ]);
  });

  it.each([60011, 60018, 60019, 10006, 10023, 10002, 60008, 70169, 70500])('retries IM error %i', async (errorCode) => {
    const im = createImClient(imSettings({ maxAttempts: 2 }), log);
    fake.failNext('destroy_group', 1, { errorCode });

    await im.destroyGroup('room_1');

    expect(imCalls('destroy_group')).toHaveLength(2);
  });

  it('gives up after maxAttempts with an ImError carrying the last code', async () => {
    const im = createImClient(imSettings({ maxAttempts: 4 }), log);
    fake.failNext('create_group', 10, { errorCode: 70500 });

    const error = await thrown(() => im.createGroup('room_1'));

    expect(error).toBeInstanceOf(ImError);
    expect(error).toMatchObject({ service: 'group_open_http_svc', errorCode: 70500 });
    expect(imCalls('create_group')).toHaveLength(4);
    expect(fake.groups.size).toBe(0);
  });

  it('does not retry a non-retryable error', async () => {
    const im = createImClient(imSettings({ maxAttempts: 5 }), log);
    fake.failNext('create_group', 1, { errorCode: 10004 });

    const error = await thrown(() => im.createGroup('room_1'));

    expect(error).toMatchObject({ errorCode: 10004 });
    expect(imCalls('create_group')).toHaveLength(1);
  });

  it('retries HTTP 503 and 429, but not HTTP 400', async () => {
    const im = createImClient(imSettings({ maxAttempts: 3 }), log);
    fake.failNext('create_group', 1, { httpStatus: 503 });
    fake.failNext('create_group', 1, { httpStatus: 429 });
    await im.createGroup('room_1');
    expect(imCalls('create_group')).toHaveLength(3);

    fake.failNext('destroy_group', 1, { httpStatus: 400 });
    const error = await thrown(() => im.destroyGroup('room_1'));
    expect(error).toMatchObject({ errorCode: IM_BAD_ANSWER });
    expect(imCalls('destroy_group')).toHaveLength(1);
  });

  it('retries a timeout; a late create then answers 10025 (ours already), which is success', async () => {
    const im = createImClient(imSettings({ timeoutMs: 100, maxAttempts: 3 }), log);
    fake.failNext('create_group', 1, { delayMs: 300 });

    await im.createGroup('room_1');
    // The first call was processed after the client gave up; wait for it to land.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(imCalls('create_group')).toHaveLength(2);
    expect(logs.filter((l) => l.event === 'im_call')[0]).toMatchObject({ attempt: 1, errorCode: IM_NO_ANSWER });
  });

  it('fails after maxAttempts timeouts', async () => {
    const im = createImClient(imSettings({ timeoutMs: 100, maxAttempts: 2 }), log);
    fake.failNext('destroy_group', 5, { delayMs: 300 });

    const started = Date.now();
    const error = await thrown(() => im.destroyGroup('room_1'));

    expect(error).toBeInstanceOf(ImError);
    expect(error).toMatchObject({ errorCode: IM_NO_ANSWER });
    expect((error as ImError).message).toMatch(/timeout/i);
    expect(imCalls('destroy_group')).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('backs off exponentially with jitter, capped at 2 s', () => {
    for (let i = 0; i < 50; i++) {
      const first = backoffMs(100, 0);
      const third = backoffMs(100, 2);
      const late = backoffMs(100, 10);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      expect(late).toBeGreaterThanOrEqual(1000);
      expect(late).toBeLessThanOrEqual(2000);
    }
    const samples = new Set(Array.from({ length: 20 }, () => backoffMs(100, 3)));
    expect(samples.size).toBeGreaterThan(1);
  });

  it('waits between attempts', async () => {
    const im = createImClient(imSettings({ maxAttempts: 3, baseDelayMs: 40 }), log);
    fake.failNext('create_group', 2, { errorCode: 60007 });

    const started = Date.now();
    await im.createGroup('room_1');

    // At least 20 ms then 40 ms (half of 40 and of 80), well under the 2 s cap.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('does not retry at all with maxAttempts 1', async () => {
    const im = createImClient(imSettings({ maxAttempts: 1 }), log);
    fake.failNext('create_group', 1, { errorCode: 60007 });

    await expect(im.createGroup('room_1')).rejects.toBeInstanceOf(ImError);
    expect(imCalls('create_group')).toHaveLength(1);
  });
});

describe('IM admin signature', () => {
  it('signs once and reuses the admin UserSig, with a fresh 32-bit random per call', async () => {
    const im = createImClient(imSettings(), log);

    await im.createGroup('room_1');
    await im.notifyPusherChange('room_1');
    await im.destroyGroup('room_1');

    const sigs = new Set(fake.calls.map((c) => c.query.usersig));
    expect(sigs.size).toBe(1);
    const randoms = fake.calls.map((c) => Number(c.query.random));
    expect(randoms.every((r) => Number.isInteger(r) && r >= 0 && r <= 0xffffffff)).toBe(true);
    expect(new Set(randoms).size).toBe(3);
  });

  describe('with a moving clock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('keeps the admin UserSig for most of its day, then renews it', async () => {
      // Only Date is faked: sockets and retry timers keep running.
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = new Date('2030-01-01T00:00:00Z').getTime();
      vi.setSystemTime(start);
      const im = createImClient(imSettings(), log);

      await im.createGroup('room_1');
      vi.setSystemTime(start + 60_000);
      await im.createGroup('room_2');
      vi.setSystemTime(start + 22 * 3600_000);
      await im.createGroup('room_3');
      vi.setSystemTime(start + 23 * 3600_000 + 1000);
      await im.createGroup('room_4');

      // One signature per room (a retry after a timeout on a loaded machine repeats its room's call).
      const sigOf = new Map(imCalls('create_group').map((c) => [(c.body as { GroupId: string }).GroupId, c.query.usersig]));
      const sigs = ['room_1', 'room_2', 'room_3', 'room_4'].map((room) => sigOf.get(room));
      expect(sigs.every((sig) => typeof sig === 'string')).toBe(true);
      expect(new Set(sigs.slice(0, 3)).size).toBe(1);
      expect(sigs[3]).not.toBe(sigs[0]);
      expect(fake.groups.size).toBe(4);
    });
  });

  it('the fake rejects a UserSig signed with another key (70003), and the client does not retry it', async () => {
    const im = createImClient(imSettings({ secretKey: 'c'.repeat(64) }), log);

    const error = await thrown(() => im.createGroup('room_1'));

    expect(error).toBeInstanceOf(ImError);
    expect(error).toMatchObject({ errorCode: 70003 });
    expect(fake.groups.size).toBe(0);
    expect(imCalls('create_group')).toHaveLength(1);
  });

  it('the fake rejects a bad random or contenttype', async () => {
    const usersig = issueUserSig({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY }, ADMIN, 600);
    const query = (random: string, contenttype: string) =>
      new URLSearchParams({ sdkappid: String(SDK_APP_ID), identifier: ADMIN, usersig, random, contenttype }).toString();
    const post = async (q: string) =>
      (await (await fetch(`${fake.imBaseUrl}/v4/group_open_http_svc/destroy_group?${q}`, { method: 'POST', body: '{"GroupId":"x"}' })).json()) as {
        ErrorCode: number;
      };

    expect((await post(query('4294967296', 'json'))).ErrorCode).toBe(70003);
    expect((await post(query('-1', 'json'))).ErrorCode).toBe(70003);
    expect((await post(query('12', 'xml'))).ErrorCode).toBe(70003);
    expect((await post(query('4294967295', 'json'))).ErrorCode).toBe(10010);
  });

  it('never logs the usersig or the secret key', async () => {
    const im = createImClient(imSettings({ timeoutMs: 100, maxAttempts: 2 }), log);
    fake.failNext('create_group', 2, { delayMs: 300 });

    const error = await thrown(() => im.createGroup('room_1'));
    await im.destroyGroup('room_1');

    const usersig = fake.calls[0]?.query.usersig ?? '';
    expect(usersig.length).toBeGreaterThan(20);
    const text = JSON.stringify(logs) + String((error as Error).message);
    expect(text).not.toContain(usersig);
    expect(text).not.toContain(encodeURIComponent(usersig));
    expect(text).not.toContain(SECRET_KEY);
    expect(logs.filter((l) => l.event === 'im_call').every((l) => typeof l.ms === 'number' && typeof l.command === 'string')).toBe(true);
  });

  it('adminSigCheck reports an accepted signature', async () => {
    const im = createImClient(imSettings(), log);

    const verdict = await im.adminSigCheck();

    expect(verdict.ok).toBe(true);
    expect(imCalls('account_check')[0]?.body).toEqual({ CheckItem: [{ UserID: ADMIN }] });
  });

  it('adminSigCheck reports a rejected signature or an unreachable IM without throwing', async () => {
    const wrongKey = createImClient(imSettings({ secretKey: 'c'.repeat(64) }), log);
    const unreachable = createImClient(imSettings({ baseUrl: 'http://127.0.0.1:1' }), log);

    const rejected = await wrongKey.adminSigCheck();
    const down = await unreachable.adminSigCheck();

    expect(rejected).toMatchObject({ ok: false });
    expect(rejected.detail).toContain('70003');
    expect(down.ok).toBe(false);
    expect(down.detail).not.toContain(SECRET_KEY);
  });
});

describe('Cloud API 3.0: live', () => {
  it('asks DescribeLiveStreamState with a TC3-HMAC-SHA256 signature the fake verifies', async () => {
    const live = liveClient();
    fake.liveStreams.add('8888_alice');

    expect(await live.streamState('8888_alice')).toBe('active');
    expect(await live.streamState('8888_bob')).toBe('inactive');

    const calls = cloudCalls('DescribeLiveStreamState');
    expect(calls.map((c) => c.signed)).toEqual([true, true]);
    expect(calls[0]?.body).toEqual({ AppName: 'live', DomainName: PUSH_DOMAIN, StreamName: '8888_alice' });
    expect(logs.at(-1)).toMatchObject({ event: 'cloud_call', service: 'live', action: 'DescribeLiveStreamState', httpStatus: 200 });
  });

  it.each([
    ['a wrong SecretKey', { credentials: () => ({ secretId: SECRET_ID, secretKey: 'wrong' + CLOUD_SECRET }) }, 'AuthFailure.SignatureFailure'],
    ['an unknown SecretId', { credentials: () => ({ secretId: 'AKIDnobody', secretKey: CLOUD_SECRET }) }, 'AuthFailure.SecretIdNotFound'],
    ['role credentials without their token', { credentials: () => ({ secretId: ROLE.secretId, secretKey: ROLE.secretKey }) }, 'AuthFailure.TokenFailure'],
  ] as const)('the fake refuses %s and the client throws a CloudApiError naming the error code', async (_what, overrides, code) => {
    const live = liveClient(overrides);
    fake.liveStreams.add('8888_alice');

    const error = await thrown(() => live.streamState('8888_alice'));

    expect(error).toBeInstanceOf(CloudApiError);
    expect(error).toMatchObject({ api: 'live DescribeLiveStreamState', errorCode: code, message: expect.stringContaining(code) });
    expect(cloudCalls('DescribeLiveStreamState').map((c) => c.signed)).toEqual([false]);
    expect(JSON.stringify(logs)).not.toContain(CLOUD_SECRET);
  });

  it("uses the execution role's temporary credentials (with X-TC-Token) before the configured key pair", async () => {
    const env = { TENCENTCLOUD_SECRETID: ROLE.secretId, TENCENTCLOUD_SECRETKEY: ROLE.secretKey, TENCENTCLOUD_SESSIONTOKEN: ROLE.token };
    const credentials = credentialsFromEnv(env, { secretId: 'AKIDconfigured', secretKey: 'configuredKey' });
    const live = liveClient({ credentials });

    expect(credentials()).toEqual(ROLE);
    expect(credentialsFromEnv({}, { secretId: 'AKIDconfigured', secretKey: 'configuredKey' })()).toEqual({ secretId: 'AKIDconfigured', secretKey: 'configuredKey' });
    expect(credentialsFromEnv({}, {})()).toBeUndefined();
    expect(await live.streamState('8888_alice')).toBe('inactive');
    expect(cloudCalls('DescribeLiveStreamState')[0]?.signed).toBe(true);
  });

  it('without any credentials a call is a configuration error naming the variables, and nothing is sent', async () => {
    const live = liveClient({ credentials: () => undefined });

    const error = await thrown(() => live.streamState('8888_alice'));

    expect(error).toMatchObject({ code: Code.CONFIG_INVALID, message: expect.stringContaining('CLOUD_API_SECRET_ID') });
    expect(fake.calls).toHaveLength(0);
  });

  it('CreateCommonMixStream / CancelCommonMixStream carry the documented parameter shapes', async () => {
    const live = liveClient();

    const started = await live.startMix('room_show', '8888_host', [
      { streamName: '8888_host', layout: { imageLayer: 1 } },
      { streamName: '8888_guest', layout: { imageLayer: 2, imageWidth: 160, imageHeight: 240, locationX: 400, locationY: 600 } },
    ]);

    expect(started.requestId).toMatch(/^fake-/);
    expect(cloudCalls('CreateCommonMixStream')[0]?.body).toEqual({
      MixStreamSessionId: 'room_show',
      InputStreamList: [
        { InputStreamName: '8888_host', LayoutParams: { ImageLayer: 1 } },
        { InputStreamName: '8888_guest', LayoutParams: { ImageLayer: 2, ImageWidth: 160, ImageHeight: 240, LocationX: 400, LocationY: 600 } },
      ],
      OutputParams: { OutputStreamName: '8888_host', OutputStreamType: 0 },
    });
    expect(fake.mixSessions.get('room_show')).toEqual({ output: '8888_host', inputs: [{ name: '8888_host', layer: 1 }, { name: '8888_guest', layer: 2 }] });

    await live.cancelMix('room_show');

    expect(cloudCalls('CancelCommonMixStream')[0]?.body).toEqual({ MixStreamSessionId: 'room_show' });
    expect(fake.mixSessions.size).toBe(0);
  });

  it('an error answer, an HTTP error or a timeout throws a CloudApiError (the endpoint decides the protocol code)', async () => {
    const live = liveClient({ timeoutMs: 100 });
    fake.failNext('DescribeLiveStreamState', 1, { errorCode: 'InternalError' });
    fake.failNext('DescribeLiveStreamState', 1, { httpStatus: 500 });
    fake.failNext('DescribeLiveStreamState', 1, { delayMs: 300 });

    const failures = [await thrown(() => live.streamState('a')), await thrown(() => live.streamState('a')), await thrown(() => live.streamState('a'))];
    for (const failure of failures) expect(failure).toBeInstanceOf(CloudApiError);
    expect(failures.map((f) => (f as Error).message)).toEqual([
      expect.stringContaining('InternalError'),
      expect.stringContaining('HTTP 500'),
      expect.stringContaining('timeout'),
    ]);
    expect((failures[0] as CloudApiError).errorCode).toBe('InternalError');
    expect(JSON.stringify(logs)).not.toContain(CLOUD_SECRET);
  });
});

describe('offline clients', () => {
  it('the offline IM client calls nothing and logs every call', async () => {
    const im = createOfflineImClient(log);

    await im.createGroup('room_1');
    await im.notifyPusherChange('room_1');
    await im.destroyGroup('room_1');
    const verdict = await im.adminSigCheck();

    expect(fake.calls).toHaveLength(0);
    expect(verdict.ok).toBe(false);
    expect(logs.map((l) => l.command)).toEqual(['create_group', 'notify_pusher_change', 'destroy_group', 'account_check']);
  });

  it('the offline live client reports nothing live and simulates mixing', async () => {
    const live = createOfflineLiveApiClient(log);

    expect(await live.streamState('8888_alice')).toBe('inactive');
    expect(await live.startMix('room_1', '8888_alice', [])).toEqual({ requestId: 'simulated' });
    expect(await live.cancelMix('room_1')).toEqual({ requestId: 'simulated' });
    expect(fake.calls).toHaveLength(0);
    expect(logs.map((l) => l.action)).toEqual(['DescribeLiveStreamState', 'CreateCommonMixStream', 'CancelCommonMixStream']);
  });
});
