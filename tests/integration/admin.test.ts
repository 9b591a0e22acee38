/**
 * The admin plane (`/admin/...`): key check, every route's answers and
 * refusals, the room actions' effects (notices, IM groups), bans on every
 * join path, and the dashboard page. Runs on both stores.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliverWebhooks } from '../../shared/events/webhooks';
import { ADMIN_ROUTES } from '../../shared/admin/routes';
import { ROOM_TYPES } from '../../shared/config';
import { CLOUD, invoke, pushUrlFor, signInAll, sleep, startHarness, userSigFor, type Answer, type Client, type Harness } from '../support/harness';

const KEY = 'admin-key-0123456789-abcdefghijklmnopqrstuvwxyz';

let h: Harness;
beforeAll(async () => {
  // ROOMS_PER_USER: the room list test has alice create 3 rooms of every type (12 with webrtc_room).
  h = await startHarness({ ADMIN_API_KEY: KEY, ROOMS_PER_USER: '20' });
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({});
  await h.clean();
  h.fake.reset();
});

type Options = { body?: unknown; rawBody?: string; query?: Record<string, string>; key?: string | null; authorization?: string };

/** An admin call through the router, with the key unless `key: null`. */
function admin(method: string, path: string, options: Options = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const authorization = options.authorization ?? (options.key === null ? undefined : `Bearer ${options.key ?? KEY}`);
  if (authorization !== undefined) headers.authorization = authorization;
  return invoke(path, { method, headers, query: options.query, body: options.body, rawBody: options.rawBody });
}

/** A seat in any room type: add_pusher, or webrtc_room's enter_room (its own protocol, demo identity). */
const join = (c: Client, type: string, roomID: string) =>
  type === 'webrtc_room'
    ? invoke('/weapp/webrtc_room/enter_room', { method: 'POST', body: { userID: c.userId, roomID, token: c.token } })
    : c.call(type, 'add_pusher', { roomID, userName: c.userId.toUpperCase(), userAvatar: '', pushURL: pushUrlFor(c.userId) });
const noticesTo = (roomId: string) => h.fake.notifications.filter((n) => n.groupId === roomId).length;

describe('admin key', () => {
  it('answers 401 without the key, with a wrong one or another scheme, before looking up the route', async () => {
    for (const options of [{ key: null }, { key: KEY.replace(/.$/, 'X') }, { key: 'short' }, { authorization: `Basic ${KEY}` }, { authorization: 'Bearer' }] as Options[]) {
      for (const [method, path] of [['GET', '/admin/rooms'], ['POST', '/admin/rooms/multi_room/r1/dismiss'], ['GET', '/admin/nothing-here']]) {
        const answer = await admin(method!, path!, options);
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({ code: 401, message: 'admin API key missing or wrong' });
        expect(answer.headers['WWW-Authenticate']).toBe('Bearer realm="admin"');
      }
    }
    expect((await admin('GET', '/admin/rooms', { authorization: `bearer ${KEY}` })).status).toBe(200);
    // The key never reaches the log.
    expect(h.logs.join('\n')).not.toContain(KEY.slice(0, 20));
    expect(h.logs.some((line) => line.includes('"event":"admin_request"') && line.includes('"status":401'))).toBe(true);
  });

  it('hides the whole plane (page included) when ADMIN_API_KEY is unset', async () => {
    await h.reconfigure({ ADMIN_API_KEY: '' });
    for (const [method, path] of [['GET', '/admin'], ['GET', '/admin/'], ['GET', '/admin/rooms'], ['POST', '/admin/bans']]) {
      const answer = await admin(method!, path!);
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe(404);
    }
  });

  it('check_config tells an operator whether the admin plane is on, never the key', async () => {
    const operator = 'operator-key-0123456789-abcdefghijklmn';
    await h.reconfigure({ CHECK_CONFIG_OPERATOR_KEY: operator });
    const on = await invoke('/weapp/utils/check_config', { method: 'GET', headers: { 'x-operator-key': operator } });
    expect((on.body.settings as Record<string, unknown>).ADMIN_API_KEY).toEqual({ ok: true, detail: 'set: the admin API and dashboard answer at /admin/' });
    expect(JSON.stringify(on.body)).not.toContain(KEY);
    await h.reconfigure({ CHECK_CONFIG_OPERATOR_KEY: operator, ADMIN_API_KEY: '' });
    const off = await invoke('/weapp/utils/check_config', { method: 'GET', headers: { 'x-operator-key': operator } });
    expect((off.body.settings as Record<string, { detail: string }>).ADMIN_API_KEY!.detail).toBe('not set: every /admin path answers 404');
  });

  it('refuses a key shorter than 32 characters at configuration time, naming the variable', async () => {
    await expect(h.reconfigure({ ADMIN_API_KEY: 'too-short' })).rejects.toThrow(/ADMIN_API_KEY must be 32-256 printable characters/);
  });
});

describe('dashboard page', () => {
  it('is served at /admin and /admin/ without a key, as HTML with a strict CSP and no caching', async () => {
    for (const path of ['/admin', '/admin/']) {
      const response = await import('../../functions/router').then(({ main_handler }) =>
        main_handler({ httpMethod: 'GET', path, headers: {}, queryStringParameters: {}, body: '', isBase64Encoded: false, requestContext: { requestId: 'r', sourceIp: '127.0.0.1' } }),
      );
      expect(response.statusCode).toBe(200);
      expect(response.headers['Content-Type']).toBe('text/html; charset=utf-8');
      expect(response.headers['Cache-Control']).toBe('no-store');
      expect(response.headers['Content-Security-Policy']).toMatch(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; .*frame-ancestors 'none'/);
      expect(response.headers['Content-Security-Policy']).not.toContain('unsafe-inline');
      expect(response.body).toMatch(/^<!doctype html>/i);
    }
    expect((await admin('POST', '/admin/')).status).toBe(405);
  });
});

describe('malformed requests', () => {
  it('names the problem: unknown route, wrong method, bad JSON, bad room type, bad user id', async () => {
    const unknown = await admin('GET', '/admin/roomz');
    expect(unknown).toMatchObject({ status: 404, body: { code: 404 } });
    expect(unknown.body.message).toContain('/admin/roomz');
    const method = await admin('DELETE', '/admin/rooms');
    expect(method).toMatchObject({ status: 405, body: { code: 405, message: '/admin/rooms accepts GET only' } });
    expect(method.headers.Allow).toBe('GET');
    expect((await admin('PUT', '/admin/bans')).headers.Allow).toBe('POST, GET');
    expect(await admin('POST', '/admin/bans', { rawBody: '{"userID":' })).toMatchObject({ status: 400, body: { code: 1, message: 'body is not valid JSON' } });
    expect(await admin('POST', '/admin/bans', { rawBody: '[1]' })).toMatchObject({ status: 400, body: { code: 1, message: 'body must be a JSON object' } });
    const type = await admin('GET', '/admin/rooms/nope_room/r1');
    expect(type).toMatchObject({ status: 400, body: { code: 1 } });
    expect(type.body.message).toBe(`roomType must be one of ${ROOM_TYPES.join(', ')}`);
    expect((await admin('GET', '/admin/rooms', { query: { type: 'nope' } })).body.message).toMatch(/^type must be one of/);
    expect((await admin('POST', '/admin/rooms/multi_room/r1/kick', { body: { userID: 'a b' } })).body).toMatchObject({ code: 1, message: expect.stringMatching(/^userID must be/) });
    expect((await admin('POST', '/admin/rooms/multi_room/r1/kick', { body: {} })).body.message).toBe('userID is required');
    expect((await admin('GET', '/admin/rooms/multi_room/bad%ZZ')).status).toBe(404);
    const big = await admin('POST', '/admin/bans', { rawBody: JSON.stringify({ userID: 'x', pad: 'x'.repeat(70_000) }) });
    expect(big).toMatchObject({ status: 413, body: { code: 413 } });
  });

  it('answers JSON that is never cached', async () => {
    for (const answer of [await admin('GET', '/admin/rooms'), await admin('GET', '/admin/nope'), await admin('GET', '/admin/rooms', { key: null })]) {
      expect(answer.headers['Cache-Control']).toBe('no-store');
      expect(answer.headers['Content-Type']).toBe('application/json; charset=utf-8');
      expect(answer.headers['Access-Control-Allow-Origin']).toBeUndefined();
    }
  });

  it('lists every route in the route table once', () => {
    const seen = ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('GET /admin/rooms', () => {
  it('pages through the rooms of every type with an opaque cursor, each room once, with member counts', async () => {
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    const wanted: string[] = [];
    for (const [i, type] of ROOM_TYPES.entries()) {
      for (let n = 0; n < 3; n++) {
        const id = `r${i}${n}`;
        expect((await join(alice, type, id)).body.code).toBe(0);
        wanted.push(`${type}/${id}`);
      }
    }
    await join(bob, 'live_room', 'r20');
    await carol.call('live_room', 'add_audience', { roomID: 'r20', userInfo: 'c' });
    // Created but never entered: not in the lists (readable by GET /admin/rooms/{type}/{id}).
    expect((await carol.call('multi_room', 'create_room', { roomID: 'idle1' })).body.code).toBe(0);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin('GET', '/admin/rooms', { query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.body.code).toBe(0);
      const rooms = page.body.rooms as { roomType: string; roomID: string }[];
      expect(rooms.length).toBeLessThanOrEqual(2);
      seen.push(...rooms.map((r) => `${r.roomType}/${r.roomID}`));
      cursor = (page.body.next as string | null) ?? undefined;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual(wanted);

    const live = await admin('GET', '/admin/rooms', { query: { type: 'live_room' } });
    expect(live.body.next).toBeNull();
    const r20 = (live.body.rooms as Record<string, unknown>[]).find((r) => r.roomID === 'r20');
    expect(r20).toMatchObject({ roomType: 'live_room', roomInfo: '', creator: 'alice', pushers: 2, audience: 1, createdAt: expect.any(Number) });
    expect((live.body.rooms as unknown[]).length).toBe(3);
  });

  it('keeps its place when rooms are created between pages and when a listed room ends', async () => {
    const [alice] = await signInAll('alice');
    for (const id of ['a1', 'a2', 'a3']) await join(alice, 'double_room', id);
    const first = await admin('GET', '/admin/rooms', { query: { limit: '2', type: 'double_room' } });
    expect((first.body.rooms as { roomID: string }[]).map((r) => r.roomID)).toEqual(['a1', 'a2']);
    await alice.call('double_room', 'delete_pusher', { roomID: 'a2' });
    await join(alice, 'double_room', 'a4');
    const second = await admin('GET', '/admin/rooms', { query: { limit: '2', type: 'double_room', cursor: first.body.next as string } });
    expect((second.body.rooms as { roomID: string }[]).map((r) => r.roomID)).toEqual(['a3', 'a4']);
  });

  it('refuses a cursor it did not answer, a cursor of another type filter and a limit out of range', async () => {
    for (const cursor of ['garbage', Buffer.from('multi_room\nx\nr1').toString('base64url'), Buffer.from('nope\n1\nr1').toString('base64url')]) {
      const answer = await admin('GET', '/admin/rooms', { query: { cursor } });
      expect(answer).toMatchObject({ status: 400, body: { code: 1 } });
      expect(answer.body.message).toMatch(/^cursor /);
    }
    const other = Buffer.from('multi_room\n1\nr1').toString('base64url');
    expect((await admin('GET', '/admin/rooms', { query: { cursor: other, type: 'live_room' } })).body.message).toBe('cursor belongs to another type filter');
    for (const limit of ['0', '101', 'x']) expect((await admin('GET', '/admin/rooms', { query: { limit } })).status).toBe(400);
  });
});

describe('GET /admin/rooms/{roomType}/{roomID}', () => {
  it('answers the room, its seats with heartbeat ages, audience count, custom fields and IM group', async () => {
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    await alice.call('live_room', 'create_room', { roomID: 'show', roomInfo: 'the show' });
    await join(alice, 'live_room', 'show');
    await join(bob, 'live_room', 'show');
    await carol.call('live_room', 'add_audience', { roomID: 'show', userInfo: 'c' });
    await alice.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc' });
    await sleep(60);
    await bob.call('live_room', 'pusher_heartbeat', { roomID: 'show' });
    const answer = await admin('GET', '/admin/rooms/live_room/show');
    expect(answer.body.code).toBe(0);
    const room = answer.body.room as Record<string, unknown> & { pushers: Record<string, unknown>[] };
    expect(room).toMatchObject({
      roomType: 'live_room',
      roomID: 'show',
      roomInfo: 'the show',
      creator: 'alice',
      entered: true,
      audienceCount: 1,
      custom: { likes: 1 },
      imGroup: { groupID: 'show', state: 'active', noticePending: false },
    });
    const [a, b] = ['alice', 'bob'].map((u) => room.pushers.find((p) => p.userID === u)!);
    expect(a).toMatchObject({ userName: 'ALICE', live: true, pushing: false, streamID: '8888_alice_ab12' });
    expect(a!.heartbeatAgeMs as number).toBeGreaterThanOrEqual(50);
    expect(b!.heartbeatAgeMs as number).toBeLessThan(a!.heartbeatAgeMs as number);
    expect(JSON.stringify(room)).not.toContain('txSecret');
  });

  it('answers a created room nobody entered, and code 3 / HTTP 404 for an unknown room', async () => {
    const [alice] = await signInAll('alice');
    await alice.call('multi_room', 'create_room', { roomID: 'empty', roomInfo: 'x' });
    expect((await admin('GET', '/admin/rooms/multi_room/empty')).body.room).toMatchObject({ entered: false, pushers: [], creator: 'alice' });
    expect(await admin('GET', '/admin/rooms/multi_room/nope')).toMatchObject({ status: 404, body: { code: 3, message: 'room does not exist' } });
  });
});

describe('room actions', () => {
  it('kicks a pusher as delete_pusher would: notice to the members, the seat gone', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'multi_room', 'k1');
    await join(bob, 'multi_room', 'k1');
    const before = noticesTo('k1');
    expect((await admin('POST', '/admin/rooms/multi_room/k1/kick', { body: { userID: 'bob' } })).body.code).toBe(0);
    expect(noticesTo('k1')).toBe(before + 1);
    expect((await bob.call('multi_room', 'pusher_heartbeat', { roomID: 'k1' })).body.code).toBe(5);
    const pushers = (await alice.call('multi_room', 'get_pushers', { roomID: 'k1' })).body.pushers as { userID: string }[];
    expect(pushers.map((p) => p.userID)).toEqual(['alice']);
    expect(await admin('POST', '/admin/rooms/multi_room/k1/kick', { body: { userID: 'bob' } })).toMatchObject({ status: 409, body: { code: 5 } });
    expect(await admin('POST', '/admin/rooms/multi_room/none/kick', { body: { userID: 'bob' } })).toMatchObject({ status: 404, body: { code: 3 } });
    // The last pusher kicked: the room ends and its IM group goes.
    await admin('POST', '/admin/rooms/multi_room/k1/kick', { body: { userID: 'alice' } });
    expect(h.fake.groups.has('k1')).toBe(false);
    expect((await alice.call('multi_room', 'get_pushers', { roomID: 'k1' })).body.code).toBe(3);
  });

  it('kicking the creator of a live room ends it, as their leaving would', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'live_room', 'k2');
    await join(bob, 'live_room', 'k2');
    await admin('POST', '/admin/rooms/live_room/k2/kick', { body: { userID: 'alice' } });
    expect(h.fake.groups.has('k2')).toBe(false);
    expect((await admin('GET', '/admin/rooms/live_room/k2')).body.code).toBe(3);
  });

  it('dismisses a room whoever created it, destroying its IM group', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'multi_room', 'd1');
    await join(bob, 'multi_room', 'd1');
    expect(h.fake.groups.has('d1')).toBe(true);
    expect((await admin('POST', '/admin/rooms/multi_room/d1/dismiss')).body.code).toBe(0);
    expect(h.fake.groups.has('d1')).toBe(false);
    expect(h.fake.calls.filter((c) => c.command === 'destroy_group' && (c.body as { GroupId?: string }).GroupId === 'd1')).toHaveLength(1);
    expect((await bob.call('multi_room', 'get_pushers', { roomID: 'd1' })).body.code).toBe(3);
    expect(await admin('POST', '/admin/rooms/multi_room/d1/dismiss')).toMatchObject({ status: 404, body: { code: 3 } });
    // A created room nobody entered too.
    await alice.call('multi_room', 'create_room', { roomID: 'd2' });
    expect((await admin('POST', '/admin/rooms/multi_room/d2/dismiss')).body.code).toBe(0);
    expect(h.fake.groups.has('d2')).toBe(false);
  });

  it("updates roomInfo with create_room's byte rule, telling an entered room's members", async () => {
    const [alice] = await signInAll('alice');
    await join(alice, 'multi_room', 'i1');
    const before = noticesTo('i1');
    expect((await admin('POST', '/admin/rooms/multi_room/i1/info', { body: { roomInfo: 'renamed é' } })).body.code).toBe(0);
    expect((await alice.call('multi_room', 'get_pushers', { roomID: 'i1' })).body.roomInfo).toBe('renamed é');
    expect(noticesTo('i1')).toBe(before + 1);
    expect(await admin('POST', '/admin/rooms/multi_room/i1/info', { body: { roomInfo: 'é'.repeat(513) } })).toMatchObject({ status: 400, body: { code: 10, message: 'roomInfo is longer than 1024 bytes' } });
    expect((await admin('POST', '/admin/rooms/multi_room/i1/info', { body: { roomInfo: 'x'.repeat(1024) } })).body.code).toBe(0);
    expect((await admin('POST', '/admin/rooms/multi_room/i1/info', { body: {} })).body.message).toBe('roomInfo is required');
    expect(await admin('POST', '/admin/rooms/multi_room/i2/info', { body: { roomInfo: 'x' } })).toMatchObject({ status: 404, body: { code: 3 } });
  });
});

describe('bans', () => {
  it('a service ban revokes the sessions, refuses login, UserSigs and every join path with code 7 saying until when, and DELETE lifts it', async () => {
    const [alice, mallory] = await signInAll('alice', 'mallory');
    await join(alice, 'live_room', 'b1');
    const set = await admin('POST', '/admin/bans', { body: { userID: 'mallory', seconds: 600 } });
    expect(set.body).toMatchObject({ code: 0, ban: { userID: 'mallory', scope: 'service', until: expect.any(Number) } });
    const until = (set.body.ban as { until: number }).until;
    expect(until).toBeGreaterThan(Date.now() + 590_000);
    const iso = new Date(until).toISOString();
    // The session is gone: whatever it asks is code 7, and nothing is created.
    const revoked = [
      await mallory.call('multi_room', 'create_room', { roomID: 'm1' }),
      await mallory.call('multi_room', 'create_room', {}),
      await join(mallory, 'live_room', 'b1'),
      await join(mallory, 'double_room', 'fresh'),
      await mallory.call('live_room', 'add_audience', { roomID: 'b1', userInfo: 'm' }),
    ];
    for (const refusal of revoked) expect(refusal.body).toMatchObject({ code: 7, message: expect.stringMatching(/token is missing, expired or revoked/) });
    expect(h.fake.groups.has('m1')).toBe(false);
    expect(h.fake.groups.has('fresh')).toBe(false);
    // No new session, no UserSig, and a caller proven without a session (webrtc_room, AUTH_MODE demo) is refused by the join script itself.
    const refusals = [
      await invoke('/weapp/live_room/login', { query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'mallory', userSig: userSigFor('mallory') } }),
      await invoke('/weapp/utils/get_login_info', { query: { userID: 'mallory' } }),
      await invoke('/weapp/webrtc_room/enter_room', { method: 'POST', body: { userID: 'mallory', roomID: 'w1' } }),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(200);
      expect(refusal.body).toMatchObject({ code: 7, message: `you are banned from this service until ${iso}`, bannedUntil: until });
    }

    expect((await admin('GET', '/admin/bans')).body.bans).toEqual([{ userID: 'mallory', scope: 'service', until }]);
    expect((await admin('DELETE', '/admin/bans/mallory')).body).toMatchObject({ code: 0, lifted: true });
    expect((await admin('DELETE', '/admin/bans/mallory')).body).toMatchObject({ code: 0, lifted: false });
    expect((await admin('GET', '/admin/bans')).body.bans).toEqual([]);
    const [again] = await signInAll('mallory');
    expect((await join(again, 'live_room', 'b1')).body.code).toBe(0);
    expect((await again.call('live_room', 'add_audience', { roomID: 'b1', userInfo: 'm' })).body.code).toBe(0);
  });

  it('a room ban refuses only that room, and ends by itself', async () => {
    const [alice, mallory] = await signInAll('alice', 'mallory');
    await join(alice, 'live_room', 'b2');
    await join(alice, 'live_room', 'b3');
    const set = await admin('POST', '/admin/bans', { body: { userID: 'mallory', roomType: 'live_room', roomID: 'b2', seconds: 1 } });
    expect(set.body.ban).toMatchObject({ scope: 'live_room/b2' });
    const refused = await join(mallory, 'live_room', 'b2');
    expect(refused.body).toMatchObject({ code: 7, message: expect.stringMatching(/^you are banned from this room until \d{4}-/) });
    expect((await mallory.call('live_room', 'add_audience', { roomID: 'b2', userInfo: 'm' })).body.code).toBe(7);
    // Another room, and the same id in another type, are not banned.
    expect((await join(mallory, 'live_room', 'b3')).body.code).toBe(0);
    expect((await mallory.call('multi_room', 'create_room', { roomID: 'b4' })).body.code).toBe(0);
    await sleep(1100);
    expect((await admin('GET', '/admin/bans')).body.bans).toEqual([]);
    expect((await join(mallory, 'live_room', 'b2')).body.code).toBe(0);
  });

  it('a room ban of a room that does not exist yet refuses creating it; DELETE ?room= lifts it', async () => {
    const [mallory] = await signInAll('mallory');
    await admin('POST', '/admin/bans', { body: { userID: 'mallory', roomType: 'multi_room', roomID: 'later', seconds: 60 } });
    expect((await mallory.call('multi_room', 'create_room', { roomID: 'later' })).body.code).toBe(7);
    expect((await join(mallory, 'multi_room', 'later')).body.code).toBe(7);
    expect(h.fake.groups.has('later')).toBe(false);
    // The service ban is another ban: lifting it leaves the room ban.
    expect((await admin('DELETE', '/admin/bans/mallory')).body.lifted).toBe(false);
    expect((await admin('DELETE', '/admin/bans/mallory', { query: { room: 'multi_room/later' } })).body.lifted).toBe(true);
    expect((await mallory.call('multi_room', 'create_room', { roomID: 'later' })).body.code).toBe(0);
  });

  it('refuses a malformed ban, naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ userID: 'm', seconds: 0 }, /^seconds must be 1-31536000$/],
      [{ userID: 'm', seconds: 31_536_001 }, /^seconds must be 1-31536000$/],
      [{ userID: 'm', seconds: 1.5 }, /^seconds must be a whole number/],
      [{ userID: 'm', seconds: '60' }, /^seconds must be a number of seconds/],
      [{ userID: 'm' }, /^seconds /],
      [{ seconds: 60 }, /^userID is required/],
      [{ userID: 'm', seconds: 60, roomType: 'multi_room' }, /^roomID roomType and roomID go together/],
      [{ userID: 'm', seconds: 60, roomType: 'x_room', roomID: 'r' }, /^roomType must be one of/],
    ];
    for (const [body, message] of cases) {
      const answer = await admin('POST', '/admin/bans', { body });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(message);
    }
    expect((await admin('DELETE', '/admin/bans/m', { query: { room: 'multi_room' } })).body.message).toMatch(/^room must be <roomType>\/<roomID>/);
    expect((await admin('DELETE', '/admin/bans/m', { query: { room: 'x_room/r' } })).body.message).toMatch(/^room must be <roomType>\/<roomID> \(roomType must be one of/);
  });
});

describe('audit events and replay', () => {
  type Event = { id: string; type: string; roomType: string; roomID: string; seq: number; userID?: string; reason?: string; [k: string]: unknown };
  const eventsOf = async (room: string, limit = 100) => {
    const answer = await admin('GET', '/admin/events', { query: { room, limit: String(limit) } });
    expect(answer.body.code, JSON.stringify(answer.body)).toBe(0);
    return answer.body.events as Event[];
  };

  it('a kick is admin_kick then pusher_left (kicked) in the room sequence; the snapshot seq is the last event', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'multi_room', 'e1');
    await join(bob, 'multi_room', 'e1');
    await admin('POST', '/admin/rooms/multi_room/e1/kick', { body: { userID: 'bob' } });
    const events = await eventsOf('multi_room/e1');
    expect(events.slice(-2).map((e) => [e.type, e.userID, e.reason])).toEqual([
      ['admin_kick', 'bob', undefined],
      ['pusher_left', 'bob', 'kicked'],
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const room = (await admin('GET', '/admin/rooms/multi_room/e1')).body.room as { seq: number };
    expect(room.seq).toBe(events.at(-1)!.seq);
    const listed = (await admin('GET', '/admin/rooms', { query: { type: 'multi_room' } })).body.rooms as { roomID: string; seq: number }[];
    expect(listed.find((r) => r.roomID === 'e1')!.seq).toBe(room.seq);
  });

  it('a dismiss is admin_dismiss, everyone leaving (room_ended), then room_finished (admin)', async () => {
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    await join(alice, 'live_room', 'e2');
    await join(bob, 'live_room', 'e2');
    await carol.call('live_room', 'add_audience', { roomID: 'e2', userInfo: 'c' });
    await admin('POST', '/admin/rooms/live_room/e2/dismiss');
    const tail = (await eventsOf('live_room/e2')).slice(-5).map((e) => [e.type, e.userID ?? null, e.reason ?? null]);
    expect(tail[0]).toEqual(['admin_dismiss', null, null]);
    expect(tail.slice(1, 4).sort()).toEqual([
      ['audience_left', 'carol', 'room_ended'],
      ['pusher_left', 'alice', 'room_ended'],
      ['pusher_left', 'bob', 'room_ended'],
    ]);
    expect(tail[4]).toEqual(['room_finished', null, 'admin']);
  });

  it('roomInfo changes and bans are events too: in the room sequence, or the service pseudo room', async () => {
    const [alice] = await signInAll('alice');
    await join(alice, 'multi_room', 'e3');
    await admin('POST', '/admin/rooms/multi_room/e3/info', { body: { roomInfo: 'new "name"' } });
    await admin('POST', '/admin/bans', { body: { userID: 'mallory', roomType: 'multi_room', roomID: 'e3', seconds: 60 } });
    await admin('DELETE', '/admin/bans/mallory', { query: { room: 'multi_room/e3' } });
    await admin('POST', '/admin/bans', { body: { userID: 'mallory', seconds: 60 } });
    await admin('DELETE', '/admin/bans/mallory');
    const room = await eventsOf('multi_room/e3');
    expect(room.slice(-3).map((e) => [e.type, e.userID ?? null])).toEqual([
      ['admin_info', null],
      ['admin_ban', 'mallory'],
      ['admin_unban', 'mallory'],
    ]);
    expect(room.at(-3)!.roomInfo).toBe('new "name"');
    expect(room.at(-2)).toMatchObject({ scope: 'multi_room/e3', until: expect.any(Number) });
    expect(room.at(-1)).toMatchObject({ lifted: true });
    const service = await eventsOf('service/-');
    expect(service.map((e) => [e.type, e.roomType, e.roomID, e.scope])).toEqual([
      ['admin_ban', 'service', '-', 'service'],
      ['admin_unban', 'service', '-', 'service'],
    ]);
  });

  it('replays after an id, page by page, and refuses a malformed query naming the field', async () => {
    const [alice] = await signInAll('alice');
    await join(alice, 'double_room', 'e4');
    await alice.call('double_room', 'delete_pusher', { roomID: 'e4' });
    const all = (await admin('GET', '/admin/events', { query: { limit: '1000' } })).body.events as Event[];
    expect(all.length).toBeGreaterThanOrEqual(4);
    const first = await admin('GET', '/admin/events', { query: { limit: '2' } });
    expect((first.body.events as Event[]).map((e) => e.id)).toEqual(all.slice(0, 2).map((e) => e.id));
    const second = await admin('GET', '/admin/events', { query: { limit: '2', after: first.body.next as string } });
    expect((second.body.events as Event[]).map((e) => e.id)).toEqual(all.slice(2, 4).map((e) => e.id));
    for (const [query, message] of [
      [{ after: 'x' }, /^after must be an event id/],
      [{ room: 'multi_room' }, /^room must be <roomType>\/<roomID> or service\/-/],
      [{ room: 'service/x' }, /^room must be/],
      [{ limit: '0' }, /^limit must be 1-1000/],
    ] as [Record<string, string>, RegExp][]) {
      const answer = await admin('GET', '/admin/events', { query });
      expect(answer.status).toBe(400);
      expect(answer.body.message).toMatch(message);
    }
  });
});

describe('dead letters', () => {
  it('lists the webhook batches parked after their last attempt and re-drives them: one by id, then all', async () => {
    // A receiver that fails until told otherwise.
    let healthy = false;
    const received: { events: { id: string; type: string }[] }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        if (healthy) received.push(JSON.parse(body));
        res.writeHead(healthy ? 200 : 500).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await h.reconfigure({ WEBHOOK_URL: url, WEBHOOK_SECRET: 'webhook-secret-0123456789', WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_RETRY_BASE_MS: '1' });
      expect((await admin('GET', '/admin/dead-letters')).body).toMatchObject({ code: 0, deadLetters: [] });
      const [alice] = await signInAll('alice');
      await join(alice, 'multi_room', 'w1');
      let letters: Record<string, unknown>[] = [];
      for (let i = 0; i < 40 && letters.length === 0; i++) {
        await deliverWebhooks(h.rt).catch(() => undefined);
        letters = (await admin('GET', '/admin/dead-letters')).body.deadLetters as Record<string, unknown>[];
        if (letters.length === 0) await sleep(50);
      }
      expect(letters.length).toBeGreaterThan(0);
      expect(letters[0]).toMatchObject({ id: expect.any(String), url, attempts: 1, lastError: 'HTTP 500', parkedAt: expect.any(Number) });
      const status = await admin('GET', '/admin/webhooks');
      expect(status.body).toMatchObject({ code: 0, receivers: [{ url, pending: expect.any(Number) }], deadLetters: letters.length });
      expect((letters[0]!.events as { type: string }[]).map((e) => e.type)).toContain('pusher_joined');

      // Still failing: the letter stays, one attempt more.
      expect((await admin('POST', '/admin/dead-letters/redrive', { body: { id: letters[0]!.id } })).body).toMatchObject({ code: 0, redriven: 0, failed: 1 });
      healthy = true;
      expect((await admin('POST', '/admin/dead-letters/redrive', { body: { id: letters[0]!.id } })).body).toMatchObject({ code: 0, redriven: 1, failed: 0 });
      expect(received.flatMap((b) => b.events.map((e) => e.id))).toEqual(expect.arrayContaining((letters[0]!.events as { id: string }[]).map((e) => e.id)));
      const rest = (await admin('GET', '/admin/dead-letters')).body.deadLetters as unknown[];
      expect((await admin('POST', '/admin/dead-letters/redrive')).body).toMatchObject({ code: 0, redriven: rest.length, failed: 0 });
      expect((await admin('GET', '/admin/dead-letters')).body.deadLetters).toEqual([]);
      expect((await admin('POST', '/admin/dead-letters/redrive', { body: { id: 42 } })).status).toBe(400);

      const audit = (await admin('GET', '/admin/events', { query: { room: 'service/-' } })).body.events as Record<string, unknown>[];
      expect(audit.filter((e) => e.type === 'admin_redrive').map((e) => [e.deadLetter ?? null, e.redriven, e.failed])).toEqual([
        [letters[0]!.id, 0, 1],
        [letters[0]!.id, 1, 0],
        [null, rest.length, 0],
      ]);
    } finally {
      await h.reconfigure({});
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('hostile requests', () => {
  it('answer an envelope below 500 naming the problem, whatever the path, method, query and body (fixed seed)', async () => {
    const [alice] = await signInAll('alice');
    await join(alice, 'multi_room', 'h1');
    const segment = fc.oneof(
      fc.constantFrom('rooms', 'bans', 'events', 'dead-letters', 'redrive', 'kick', 'dismiss', 'info', 'multi_room', 'live_room', 'h1', '__proto__', 'constructor', '%ZZ', '%2F', '..', ''),
      fc.string({ maxLength: 60 }).map(encodeURIComponent),
    );
    const value = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })));
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'OPTIONS', 'PATCH'),
      path: fc.array(segment, { minLength: 0, maxLength: 5 }).map((parts) => `/admin${parts.length ? '/' : ''}${parts.join('/')}`),
      query: fc.dictionary(fc.constantFrom('type', 'cursor', 'limit', 'after', 'room', 'last', '__proto__'), fc.string({ maxLength: 60 })),
      body: fc.oneof(
        fc.dictionary(fc.constantFrom('userID', 'roomType', 'roomID', 'seconds', 'roomInfo', 'id', '__proto__', 'constructor'), value).map((b) => JSON.stringify(b)),
        fc.string({ maxLength: 200 }),
      ),
    }).filter((r) => !(r.method === 'GET' && /^\/admin\/?$/.test(r.path))); // the page is HTML (its own test)
    await fc.assert(
      fc.asyncProperty(request, async ({ method, path, query, body }) => {
        const answer = await admin(method, path, { query, rawBody: body });
        expect(answer.status, `${method} ${path} ${body}`).toBeLessThan(500);
        expect(typeof answer.body.code).toBe('number');
        expect(typeof answer.body.message).toBe('string');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { seed: 14, numRuns: 2000 },
    );
  }, 60_000);
});
