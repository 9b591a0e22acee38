/**
 * Security round 3 (issue 21): what an outside attack on the admin plane,
 * the callbacks, TRTC rooms and the event log found, one regression per
 * finding. Each of these failed on the main of 2026-12-07 (bc1fdbb). Runs
 * on the real Redis, on the embedded store and with ROOM_PARTITIONS=4
 * (vitest.config.ts EMBEDDED / PARTITIONED).
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WEBRTC_ROOM } from '../../shared/config';
import { deliverWebhooks, receiverId, webhookStatus } from '../../shared/events/webhooks';
import { allPartitions, eventLogKey, roomKeys, webhookKey } from '../../shared/rooms/keys';
import { CLOUD, invoke, pushUrlFor, signIn, signedStreamCallback, startHarness, userSigFor, type Answer, type Client, type Harness } from '../support/harness';

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

describe('3. a ban removes the seats and audience places it covers, at once', () => {
  const addPusher = (c: Client, type: string, roomID: string) => c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });
  const eventsOf = async (type: string, roomID: string) =>
    ((await invoke('/admin/events', { method: 'GET', query: { room: `${type}/${roomID}`, limit: '1000' }, headers: { authorization: `Bearer ${ADMIN_KEY}` } })).body.events as { type: string; userID?: string; reason?: string }[])
      .filter((e) => e.type.endsWith('_left') || e.type === 'admin_ban' || e.type === 'room_finished')
      .map((e) => [e.type, e.userID ?? '', e.reason ?? '']);

  it('a room ban: the seat goes with pusher_left banned, the others are told, heartbeats and custom fields stop; other rooms are untouched', async () => {
    const [a, b] = [await signIn('a'), await signIn('b')];
    await addPusher(a, 'multi_room', 'rb-1');
    await addPusher(b, 'multi_room', 'rb-1');
    await addPusher(a, 'live_room', 'rb-2');
    await addPusher(b, 'live_room', 'rb-2');
    const noticesBefore = h.fake.notifications.length;
    const ban = await admin('POST', '/admin/bans', { userID: 'b', roomType: 'multi_room', roomID: 'rb-1', seconds: 600 });
    const beat = await b.call('multi_room', 'pusher_heartbeat', { roomID: 'rb-1' });
    const rejoin = await addPusher(b, 'multi_room', 'rb-1');

    expect(await members('multi_room', 'rb-1')).toEqual(['a']);
    expect(ban.body).toMatchObject({ code: 0, evicted: 1 });
    expect(await members('live_room', 'rb-2')).toEqual(['a', 'b']);
    expect(h.fake.notifications.slice(noticesBefore).map((n) => n.groupId)).toEqual(['rb-1']);
    expect([beat.body.code, rejoin.body.code]).toEqual([5, 7]);
    expect(await eventsOf('multi_room', 'rb-1')).toEqual([
      ['admin_ban', 'b', ''],
      ['pusher_left', 'b', 'banned'],
    ]);
  });

  it('a room ban of a live room\'s creator ends the room; an audience member loses its place (audience_left banned)', async () => {
    const [a, b] = [await signIn('a'), await signIn('b')];
    await addPusher(a, 'live_room', 'rb-3');
    await b.call('live_room', 'add_audience', { roomID: 'rb-3', userInfo: 'x' });
    await admin('POST', '/admin/bans', { userID: 'b', roomType: 'live_room', roomID: 'rb-3', seconds: 600 });
    const audience = await b.call('live_room', 'get_audiences', { roomID: 'rb-3' });
    await admin('POST', '/admin/bans', { userID: 'a', roomType: 'live_room', roomID: 'rb-3', seconds: 600 });

    expect(audience.body.audienceCount).toBe(0);
    expect(await eventsOf('live_room', 'rb-3')).toEqual([
      ['admin_ban', 'b', ''],
      ['audience_left', 'b', 'banned'],
      ['admin_ban', 'a', ''],
      ['pusher_left', 'a', 'banned'],
      // A live room ends with its creator.
      ['room_finished', '', 'creator_left'],
    ]);
    expect(h.fake.groups.has('rb-3')).toBe(false);
  });

  it('a service ban: every seat, audience place and TRTC membership of the user goes, in every partition; sessions, login and UserSigs are refused', async () => {
    const a = await signIn('a');
    const b = await signIn('b');
    // Room ids spread over the partitions when ROOM_PARTITIONS > 1.
    const rooms = ['sb-1', 'sb-2', 'sb-3', 'sb-4', 'sb-5', 'sb-6'];
    for (const id of rooms) {
      await addPusher(a, 'multi_room', id);
      await addPusher(b, 'multi_room', id);
    }
    await addPusher(a, 'live_room', 'sb-live');
    await b.call('live_room', 'add_audience', { roomID: 'sb-live', userInfo: 'x' });
    await enter('a', 'sb-w');
    await enter('b', 'sb-w');
    const noticesBefore = h.fake.notifications.length;
    const ban = await admin('POST', '/admin/bans', { userID: 'b', seconds: 600 });
    const withToken = await b.call('multi_room', 'get_room_list', { index: 0, cnt: 10 });
    const login = await invoke('/weapp/multi_room/login', { query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'b', userSig: userSigFor('b') } });
    const userSig = await invoke('/weapp/utils/get_login_info', { query: { userID: 'b' } });
    const trtcSig = await webrtc('get_login_info', { userID: 'b' });
    const others = await invoke('/weapp/utils/get_login_info', { query: { userID: 'c' } });

    for (const id of rooms) expect(await members('multi_room', id)).toEqual(['a']);
    expect(ban.body).toMatchObject({ code: 0, evicted: rooms.length + 1 });
    expect(await h.rt.redis.hkeys(roomKeys(h.prefix, 'live_room', 'sb-live').audience)).toEqual([]);
    expect(await members(WEBRTC_ROOM, 'sb-w')).toEqual(['a']);
    expect(h.fake.trtcCalls).toEqual([{ action: 'RemoveUserByStrRoomId', roomId: 'sb-w', userIds: ['b'] }]);
    expect(h.fake.notifications.slice(noticesBefore).map((n) => n.groupId).sort()).toEqual(rooms);
    expect([withToken, login, userSig, trtcSig].map(codeOf)).toEqual([7, 7, 7, 7]);
    expect(login.body.message).toMatch(/banned from this service until/);
    expect(codeOf(others)).toBe(0);
    // The service's own event, and each room's banned leave.
    const left = [];
    for (const id of rooms) left.push(...(await eventsOf('multi_room', id)).filter((e) => e[0] === 'pusher_left'));
    expect(left).toEqual(rooms.map(() => ['pusher_left', 'b', 'banned']));
    // Lifted: b signs in again.
    await admin('DELETE', '/admin/bans/b');
    expect((await signIn('b')).token).toBeTruthy();
  });

  it('a service ban walks the rooms a few at a time: rooms ending under the walk (the user was their last pusher) shift no room past it', async () => {
    const a = await signIn('a');
    const b = await signIn('b');
    const shared = ['w-a', 'w-c', 'w-e', 'w-g', 'w-i'];
    const alone = ['w-b', 'w-d', 'w-f', 'w-h'];
    // Created in alternation, so each page holds rooms that end (b alone) and rooms that stay.
    for (let i = 0; i < shared.length; i++) {
      await addPusher(a, 'multi_room', shared[i]!);
      await addPusher(b, 'multi_room', shared[i]!);
      if (alone[i]) await addPusher(b, 'multi_room', alone[i]!);
    }
    h.rt.admin.banWalkRooms = 2;
    const ban = await admin('POST', '/admin/bans', { userID: 'b', seconds: 600 });

    for (const id of shared) expect(await members('multi_room', id)).toEqual(['a']);
    expect(ban.body).toMatchObject({ code: 0, evicted: shared.length + alone.length });
    for (const id of alone) expect(await h.rt.redis.exists(roomKeys(h.prefix, 'multi_room', id).room)).toBe(0);
    await admin('DELETE', '/admin/bans/b');
    expect((await signIn('b')).token).toBeTruthy();
  });
});

describe('7. the event log keeps what a lagging receiver has not got, up to a hard bound, and says what it lost', () => {
  type Event = { id: string; type: string; roomType: string; roomID: string; seq: number; count?: number; firstId?: string; lastId?: string };
  const receiver = { server: undefined as Server | undefined, url: '', failing: true, events: [] as Event[] };
  beforeAll(async () => {
    receiver.server = createServer((req, res) => {
      // Judged when the POST arrives: one sent during the flood fails even if its body is read after the receiver came back.
      const failing = receiver.failing;
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        // Delivery is at least once (a lease may run out mid-POST): a receiver dedupes by event id.
        const seen = new Set(receiver.events.map((e) => e.id));
        if (!failing) receiver.events.push(...(JSON.parse(body) as { events: Event[] }).events.filter((e) => !seen.has(e.id)));
        res.writeHead(failing ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.server!.listen(0, '127.0.0.1', resolve));
    receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => receiver.server?.close());

  /** The receiver fails its first batch and backs off for an hour (WEBHOOK_RETRY_BASE_MS): it stays behind while `requests` webrtc rooms are entered anonymously. */
  async function flood(tag: string, bounds: Record<string, string>, requests: number): Promise<number> {
    receiver.failing = true;
    receiver.events = [];
    await h.reconfigure({ ...bounds, ADMIN_API_KEY: ADMIN_KEY, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'round-3-webhook-secret', WEBHOOK_RETRY_BASE_MS: '3600000', WEBHOOK_MAX_ATTEMPTS: '30' });
    await deliverWebhooks(h.rt);
    for (let i = 0; i < requests; i++) expect(codeOf(await enter(`u${i}`, `${tag}-${i}`))).toBe(0);
    // Every request's events: each room's seq runs 1..n.
    const appended = (await Promise.all(Array.from({ length: requests }, (_, i) => h.rt.redis.get(roomKeys(h.prefix, WEBRTC_ROOM, `${tag}-${i}`).seq)))).reduce((sum, seq) => sum + Number(seq), 0);
    // The receiver is back and its backoff ends (each round: a POST still in flight
    // from the flood may fail after this and back off again): deliver until every partition's log is done.
    receiver.failing = false;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
      for (const p of allPartitions()) await h.rt.redis.hdel(webhookKey(h.prefix, receiverId(receiver.url), p), 'nextAt');
      await deliverWebhooks(h.rt);
      if ((await webhookStatus(h.rt)).receivers[0]!.pending === 0) break;
    }
    return appended;
  }
  // (Rooms of this test only: on the embedded store a previous test's delivery may still be finishing.)
  const roomEvents = (tag: string) => receiver.events.filter((e) => e.roomType === WEBRTC_ROOM && e.roomID.startsWith(`${tag}-`));

  it('a receiver behind keeps every event past EVENT_LOG_MAX_LEN: after the flood it gets them all, each room in seq order without gaps', async () => {
    const appended = await flood('kept', { EVENT_LOG_MAX_LEN: '20', EVENT_LOG_HARD_MAX_LEN: '100000' }, 40);

    expect(appended).toBeGreaterThan(100);

    const got = roomEvents('kept');
    expect(got.length).toBe(appended);
    for (let i = 0; i < 40; i++) {
      const seqs = got.filter((e) => e.roomID === `kept-${i}`).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, k) => k + 1));
    }
    expect(receiver.events.some((e) => e.type === 'events_lost')).toBe(false);
    // Once delivered, the log goes back to its bound (the next append, or the sweeper, trims it).
    await h.rt.rooms.trimEvents();
    for (const p of allPartitions()) expect(await h.rt.redis.zcard(eventLogKey(h.prefix, p))).toBeLessThanOrEqual(20);
  });

  it('past EVENT_LOG_HARD_MAX_LEN the oldest go, and the receiver gets events_lost (count, first and last id) where they were; the admin API shows the loss', async () => {
    // The bounds hold per partition's log (ROOM_PARTITIONS): enough rooms to fill each.
    const appended = await flood('lost', { EVENT_LOG_MAX_LEN: '20', EVENT_LOG_HARD_MAX_LEN: '40' }, 40 * allPartitions().length);

    const gaps = receiver.events.filter((e) => e.type === 'events_lost');
    expect(gaps.length).toBeGreaterThan(0);
    const lost = gaps.reduce((sum, g) => sum + g.count!, 0);
    // Nothing vanished without a trace: what arrived and what was reported lost cover what was appended.
    // (At least: a batch the sender gave up on may still have reached the receiver, whose events the loss then covers too.)
    expect(roomEvents('lost').length + lost).toBeGreaterThanOrEqual(appended);
    expect(lost).toBeLessThan(appended);
    for (const gap of gaps) {
      expect(gap).toMatchObject({ roomType: 'service', roomID: expect.stringMatching(/^log(\.\d+)?$/), reason: 'memory_bound', firstId: expect.any(String), lastId: expect.any(String) });
      // In its place: after every event before the loss, before every event after it.
      const at = receiver.events.indexOf(gap);
      const sameLog = (e: Event) => (e.id.match(/^(\d+)\./)?.[1] ?? '') === (gap.id.match(/^(\d+)\./)?.[1] ?? '');
      const position = (id: string) => Number(id.split('-').pop());
      expect(receiver.events.slice(at + 1).filter(sameLog).every((e) => position(e.id) > position(gap.lastId!))).toBe(true);
    }
    const status = await admin('GET', '/admin/webhooks');
    expect(status.body.eventsLost).toEqual({ count: lost, last: expect.objectContaining({ count: expect.any(Number), firstId: expect.any(String), lastId: expect.any(String) }) });
    const replay = await invoke('/admin/events', { method: 'GET', query: { room: gaps[0]!.roomType + '/' + gaps[0]!.roomID }, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect((replay.body.events as Event[]).map((e) => e.type)).toEqual(expect.arrayContaining(['events_lost']));
  });
});
