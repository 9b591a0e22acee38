import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError, Code } from '../../shared/errors';
import { IM_NO_ANSWER, IM_BAD_ANSWER, ImError, backoffMs, PUSHER_CHANGE_CONTENT, createImClient, createOfflineImClient, type ImSettings } from '../../shared/im/client';
import { createLiveApiClient, createOfflineLiveApiClient, type LiveApiSettings } from '../../shared/live/client';
import { issueUserSig } from '../../shared/sign/usersig';
import { startFakeCloud, type FakeCloud } from '../support/fake-cloud';

const SDK_APP_ID = 1400000001;
const SECRET_KEY = 'a'.repeat(32) + 'b'.repeat(32);
const ADMIN = 'administrator';
const LIVE_APP_ID = '1250000001';
const LIVE_API_KEY = '0123456789abcdef0123456789abcdef';

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

function liveSettings(overrides: Partial<LiveApiSettings> = {}): LiveApiSettings {
  return { baseUrl: fake.liveBaseUrl, appId: LIVE_APP_ID, apiKey: LIVE_API_KEY, timeoutMs: 1000, ...overrides };
}

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
  fake = await startFakeCloud({ sdkAppId: SDK_APP_ID, secretKey: SECRET_KEY, administrator: ADMIN, liveAppId: LIVE_APP_ID, liveApiKey: LIVE_API_KEY });
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

  it('treats an existing group (10021) as success, without retrying', async () => {
    const im = createImClient(imSettings(), log);
    await im.createGroup('room_1');

    await im.createGroup('room_1');

    expect(imCalls('create_group')).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ event: 'im_call', command: 'create_group', attempt: 1, errorCode: 10021 });
  });

  it('treats 10025 (group id used by someone else) as success', async () => {
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

  it('destroys a group, and a missing (10010) or invalid (10015) group is success', async () => {
    const im = createImClient(imSettings(), log);
    await im.createGroup('room_1');

    await im.destroyGroup('room_1');
    await im.destroyGroup('room_1');
    fake.failNext('destroy_group', 1, { errorCode: 10015 });
    await im.destroyGroup('bad id');

    expect(fake.groups.size).toBe(0);
    expect(imCalls('destroy_group').map((c) => c.body)).toEqual([{ GroupId: 'room_1' }, { GroupId: 'room_1' }, { GroupId: 'bad id' }]);
  });
});

describe('IM pusher-change notification', () => {
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

  it('retries a timeout; a late create then answers 10021, which is success', async () => {
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

      const sigs = imCalls('create_group').map((c) => c.query.usersig);
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

describe('live REST API', () => {
  it('signs with t = now + 60 and sign = md5(apiKey + t)', async () => {
    const live = createLiveApiClient(liveSettings(), log);
    const now = Math.floor(Date.now() / 1000);

    await live.isStreamLive('1234_alice');

    const [call] = fake.calls;
    expect(call).toMatchObject({ api: 'live', command: 'Live_Channel_GetStatus' });
    const t = Number(call?.query.t);
    expect(t - now).toBeGreaterThanOrEqual(60);
    expect(t - now).toBeLessThanOrEqual(61);
    expect(call?.query.sign).toBe(createHash('md5').update(LIVE_API_KEY + call?.query.t).digest('hex'));
    expect(call?.query).toMatchObject({ appid: LIVE_APP_ID, interface: 'Live_Channel_GetStatus', 'Param.s.channel_id': '1234_alice' });
  });

  it('isStreamLive is true only for a stream being pushed', async () => {
    const live = createLiveApiClient(liveSettings(), log);
    fake.liveStreams.add('1234_alice');

    expect(await live.isStreamLive('1234_alice')).toBe(true);
    expect(await live.isStreamLive('1234_bob')).toBe(false);
  });

  it('a wrong API key is rejected by the fake and the client throws a 5004', async () => {
    const live = createLiveApiClient(liveSettings({ apiKey: 'f'.repeat(32) }), log);
    fake.liveStreams.add('1234_alice');

    const error = await thrown(() => live.isStreamLive('1234_alice'));

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: Code.CLOUD_API_FAILED, status: 502 });
  });

  it('isStreamLive throws when ret != 0 or on HTTP errors', async () => {
    const live = createLiveApiClient(liveSettings(), log);
    fake.failNext('Live_Channel_GetStatus', 1, { errorCode: 20601 });
    fake.failNext('Live_Channel_GetStatus', 1, { httpStatus: 500 });

    expect(await thrown(() => live.isStreamLive('a'))).toMatchObject({ code: Code.CLOUD_API_FAILED, message: expect.stringContaining('20601') });
    expect(await thrown(() => live.isStreamLive('a'))).toMatchObject({ code: Code.CLOUD_API_FAILED, message: expect.stringContaining('HTTP 500') });
  });

  it('startMixStream posts the merge parameters as given and returns the answer', async () => {
    const live = createLiveApiClient(liveSettings(), log);
    const mergeParams = {
      timestamp: 1700000000,
      eventId: 1700000000,
      interface: { interfaceName: 'Mix_StreamV2', para: { app_id: LIVE_APP_ID, interface: 'mix_streamv2.start_mix_stream_advanced', input_stream_list: [] } },
    };

    const answer = await live.startMixStream(mergeParams);

    expect(answer).toMatchObject({ code: 0, message: '' });
    const [call] = fake.calls;
    expect(call).toMatchObject({ api: 'live', command: 'Mix_StreamV2', body: mergeParams });
    expect(call?.query.sign).toBe(createHash('md5').update(LIVE_API_KEY + call?.query.t).digest('hex'));
  });

  it("startMixStream returns the live API's own error answer", async () => {
    const live = createLiveApiClient(liveSettings(), log);
    fake.failNext('Mix_StreamV2', 1, { errorCode: 4001 });

    expect(await live.startMixStream({ a: 1 })).toMatchObject({ code: 4001 });
  });

  it('startMixStream throws on a timeout', async () => {
    const live = createLiveApiClient(liveSettings({ timeoutMs: 100 }), log);
    fake.failNext('Mix_StreamV2', 1, { delayMs: 300 });

    const error = await thrown(() => live.startMixStream({ a: 1 }));

    expect(error).toMatchObject({ code: Code.CLOUD_API_FAILED });
    expect(JSON.stringify(logs)).not.toContain(LIVE_API_KEY);
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

    expect(await live.isStreamLive('1234_alice')).toBe(false);
    expect(await live.startMixStream({ a: 1 })).toEqual({ code: 0, message: 'simulated' });
    expect(fake.calls).toHaveLength(0);
    expect(logs).toHaveLength(2);
  });
});
