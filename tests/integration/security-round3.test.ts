/**
 * Security round 3 (issue 21): what an outside attack on the admin plane,
 * the callbacks, TRTC rooms and the event log found, one regression per
 * finding. Each of these failed on the main of 2026-12-07 (bc1fdbb). Runs
 * on the real Redis, on the embedded store and with ROOM_PARTITIONS=4
 * (vitest.config.ts EMBEDDED / PARTITIONED).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WEBRTC_ROOM } from '../../shared/config';
import { roomKeys } from '../../shared/rooms/keys';
import { CLOUD, invoke, pushUrlFor, signIn, signedStreamCallback, startHarness, type Answer, type Harness } from '../support/harness';

const CALLBACK_KEY = 'trtcKey0123456789';
const ADMIN_KEY = 'admin-key-for-round-3-tests-0123456789abcdef';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, ADMIN_API_KEY: ADMIN_KEY });
  await h.clean();
  h.fake.reset();
  h.logs.length = 0;
});

const webrtc = (action: string, body: unknown) => invoke(`/weapp/webrtc_room/${action}`, { method: 'POST', body });
const enter = (userID: string, roomID: string) => webrtc('enter_room', { userID, roomID });
const admin = (method: string, path: string, body?: unknown) => invoke(path, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
const members = async (type: string, roomID: string) => (await h.rt.redis.hkeys(roomKeys(h.prefix, type as typeof WEBRTC_ROOM, roomID).pushers)).sort();
const codeOf = (a: Answer) => a.body.code;

/** The callback as TRTC sends it; `sign` replaces the Sign header. */
function trtcCallback(eventType: number, info: Record<string, unknown>, sign?: (good: string) => string) {
  const rawBody = JSON.stringify({ EventGroupId: 1, EventType: eventType, CallbackTs: Date.now(), EventInfo: info });
  const good = createHmac('sha256', CALLBACK_KEY).update(rawBody).digest('base64');
  return invoke('/weapp/callbacks/trtc', { method: 'POST', rawBody, headers: { sign: sign ? sign(good) : good, sdkappid: String(CLOUD.sdkAppId) } });
}
const userEvent = (type: 103 | 104, roomId: string, userId: string, ms = Date.now()) =>
  trtcCallback(type, { RoomId: roomId, EventTs: Math.floor(ms / 1000), EventMsTs: ms, UserId: userId, Role: 20, Reason: 1 });
const outcomes = () => h.logs.filter((l) => l.includes('"event":"trtc_callback"')).map((l) => JSON.parse(l) as { outcome: string; reason?: string });

describe('1. a kicked or banned webrtc_room member re-entering TRTC with the key it holds', () => {
  it('a 103 of a banned user, or of a user with no seat, removes them from the TRTC room through the outbox and logs why', async () => {
    await enter('a', 'w-1');
    await enter('b', 'w-1');
    await enter('c', 'w-1');
    await userEvent(103, 'w-1', 'b');
    const ban = await admin('POST', '/admin/bans', { userID: 'b', roomType: WEBRTC_ROOM, roomID: 'w-1', seconds: 600 });
    await admin('POST', '/admin/rooms/webrtc_room/w-1/kick', { userID: 'c' });
    h.fake.reset();
    // Both reconnect with the PrivateMapKey they still hold: TRTC reports them entered.
    const banned = await userEvent(103, 'w-1', 'b', Date.now() + 5);
    const kicked = await userEvent(103, 'w-1', 'c', Date.now() + 5);
    // Someone the service never admitted, in a room it does not know.
    const stranger = await userEvent(103, 'w-unknown', 'z');
    // A seated member entering is still just present.
    const seated = await userEvent(103, 'w-1', 'a');

    expect(codeOf(ban)).toBe(0);
    expect([banned, kicked, stranger, seated].map(codeOf)).toEqual([0, 0, 0, 0]);
    expect(h.fake.trtcCalls).toEqual([
      { action: 'RemoveUserByStrRoomId', roomId: 'w-1', userIds: ['b'] },
      { action: 'RemoveUserByStrRoomId', roomId: 'w-1', userIds: ['c'] },
      { action: 'RemoveUserByStrRoomId', roomId: 'w-unknown', userIds: ['z'] },
    ]);
    expect(outcomes().slice(-4).map((o) => [o.outcome, o.reason ?? ''])).toEqual([
      ['refused', 'entered the TRTC room while banned: removed'],
      ['refused', 'entered the TRTC room without a seat: removed'],
      ['refused', 'entered the TRTC room without a seat: removed'],
      ['present', ''],
    ]);
    expect(await members(WEBRTC_ROOM, 'w-1')).toEqual(['a']);
    // Acknowledged: nothing left in the outbox.
    expect(await h.rt.redis.zrange(roomKeys(h.prefix, WEBRTC_ROOM, 'w-1').outbox, 0, -1)).toEqual([]);
  });

  it('a removal TRTC refuses for now stays in the outbox for the sweeper', async () => {
    await enter('a', 'w-2');
    h.fake.failNext('RemoveUserByStrRoomId', 1, { errorCode: 'InternalError' });
    await userEvent(103, 'w-2', 'intruder');
    expect(await h.rt.redis.zrange(roomKeys(h.prefix, WEBRTC_ROOM, 'w-2').outbox, 0, -1)).toEqual(['remove|w-2|intruder']);
  });
});

describe('4. live stream callbacks: t has an upper bound', () => {
  const stop = { event_type: 0, stream_id: `${CLOUD.bizid}_u_ab12`, sequence: '77', event_time: Math.floor(Date.now() / 1000) };
  const callback = (body: unknown) => invoke('/weapp/callbacks/live_stream', { method: 'POST', body });

  it('refuses a t further ahead than LIVE_CALLBACK_MAX_AHEAD_SECONDS (default 900) with 403, accepts Tencent\'s ten minutes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const far = await callback(signedStreamCallback(stop, { t: 99_999_999_999 }));
    const justOver = await callback(signedStreamCallback(stop, { t: now + 960 }));
    const tencents = await callback(signedStreamCallback(stop, { t: now + 600 }));
    await h.reconfigure({ LIVE_CALLBACK_MAX_AHEAD_SECONDS: '60' });
    const tighter = await callback(signedStreamCallback(stop, { t: now + 600 }));

    expect([far.status, justOver.status, tencents.status, tighter.status]).toEqual([403, 403, 200, 403]);
    expect(far.body.message).toMatch(/LIVE_CALLBACK_MAX_AHEAD_SECONDS/);
  });
});

describe('5. TRTC Sign: only the canonical encoding', () => {
  it('refuses a valid Sign with junk appended, whitespace around it, or the URL-safe alphabet', async () => {
    await enter('a', 'w-5');
    await enter('b', 'w-5');
    const variants = [(s: string) => `${s}!!**`, (s: string) => `${s}AA`, (s: string) => `${s.slice(0, -1)}`, (s: string) => s.replace(/\+/g, '-').replace(/\//g, '_') + (/[+/]/.test(s) ? '' : '!')];
    const answers = [];
    for (const variant of variants) answers.push(await userEvent104Signed('w-5', 'b', variant));
    const good = await userEvent104Signed('w-5', 'b', (s) => s);

    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect(good.status).toBe(200);
    expect(await members(WEBRTC_ROOM, 'w-5')).toEqual(['a']);
  });
});
function userEvent104Signed(roomId: string, userId: string, sign: (good: string) => string) {
  const ms = Date.now();
  return trtcCallback(104, { RoomId: roomId, EventTs: Math.floor(ms / 1000), EventMsTs: ms, UserId: userId }, sign);
}

describe('6. TRTC event times ahead of the service clock', () => {
  it('a signed 103 dated an hour ahead is ignored, so the real 104 after it still removes the member', async () => {
    await enter('a', 'w-6');
    await enter('b', 'w-6');
    const future = await userEvent(103, 'w-6', 'b', Date.now() + 3600_000);
    const left = await userEvent(104, 'w-6', 'b');

    expect([future.status, left.status]).toEqual([200, 200]);
    expect(h.logs.some((l) => l.includes('trtc_callback_ignored') && l.includes('ahead of the service clock'))).toBe(true);
    expect(outcomes().map((o) => o.outcome)).toEqual(['removed']);
    expect(await members(WEBRTC_ROOM, 'w-6')).toEqual(['a']);
  });
});

// Keep helpers referenced by later sections.
void pushUrlFor;
void signIn;
