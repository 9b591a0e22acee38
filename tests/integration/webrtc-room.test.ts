/**
 * webrtc_room (docs/protocol.md §7): the endpoints and their codes, the
 * PrivateMapKey decoded independently, identity per AUTH_MODE, capacity under
 * concurrency, TRTC room callbacks (signature, duplicates, ordering, presence)
 * and the TRTC management calls through the effects outbox. Runs on the real
 * Redis and on the embedded store (vitest.config.ts EMBEDDED).
 */
import { createHmac } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WEBRTC_ROOM } from '../../shared/config';
import { roomKeys } from '../../shared/rooms/keys';
import { sweep } from '../../shared/rooms/sweeper';
import { CLOUD, invoke, signIn, sleep, startHarness, stateSnapshot, type Answer, type Harness } from '../support/harness';

const CALLBACK_KEY = 'trtcKey0123456789';
const JWT_SECRET = 'jwt-secret-0123456789-0123456789-abcdef';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY });
  await h.clean();
  h.fake.reset();
  h.logs.length = 0;
});

const call = (action: string, body: unknown, headers: Record<string, string> = {}) => invoke(`/weapp/webrtc_room/${action}`, { method: 'POST', body, headers });
const enter = (userID: string, roomID: string | number, extra: Record<string, unknown> = {}) => call('enter_room', { userID, roomID, ...extra });
const members = async (roomID: string) => (await h.rt.redis.hkeys(roomKeys(h.prefix, WEBRTC_ROOM, roomID).pushers)).sort();
const roomExists = async (roomID: string) => (await h.rt.redis.exists(roomKeys(h.prefix, WEBRTC_ROOM, roomID).room)) === 1;
const codeOf = (a: Answer) => a.body.code;

/** The callback as TRTC sends it: JSON body, Sign = base64(HMAC-SHA256(key, body)). */
function trtcCallback(eventType: number, info: Record<string, unknown>, key = CALLBACK_KEY, sign?: string) {
  const rawBody = JSON.stringify({ EventGroupId: 1, EventType: eventType, CallbackTs: Date.now(), EventInfo: info });
  const signature = sign ?? createHmac('sha256', key).update(rawBody).digest('base64');
  return invoke('/weapp/callbacks/trtc', { method: 'POST', rawBody, headers: { sign: signature, sdkappid: String(CLOUD.sdkAppId) } });
}
const userEvent = (type: 103 | 104, roomId: string | number, userId: string, ms: number) =>
  trtcCallback(type, { RoomId: roomId, EventTs: Math.floor(ms / 1000), EventMsTs: ms, UserId: userId, Role: 20, Reason: 1 });

/**
 * Decodes a PrivateMapKey by Tencent's format, without the library: Tencent's
 * base64 (`*` `-` `_` for `+` `/` `=`), zlib, JSON; the HMAC-SHA256 over the
 * TLS fields with the userbuf; the userbuf's binary layout.
 */
function decodePrivateMapKey(key: string) {
  const json = JSON.parse(inflateSync(Buffer.from(key.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64')).toString('utf8')) as Record<string, string | number>;
  const userbuf = String(json['TLS.userbuf']);
  const signed = `TLS.identifier:${json['TLS.identifier']}\nTLS.sdkappid:${json['TLS.sdkappid']}\nTLS.time:${json['TLS.time']}\nTLS.expire:${json['TLS.expire']}\nTLS.userbuf:${userbuf}\n`;
  const macOk = createHmac('sha256', CLOUD.secretKey).update(signed).digest('base64') === json['TLS.sig'];
  const buf = Buffer.from(userbuf, 'base64');
  const version = buf[0]!;
  const accountLength = buf.readUInt16BE(1);
  let o = 3;
  const account = buf.subarray(o, o + accountLength).toString('latin1');
  o += accountLength;
  const sdkAppId = buf.readUInt32BE(o);
  const numericRoom = buf.readUInt32BE(o + 4);
  const expiresAt = buf.readUInt32BE(o + 8);
  const privileges = buf.readUInt32BE(o + 12);
  o += 20;
  const stringRoom = version === 1 ? buf.subarray(o + 2, o + 2 + buf.readUInt16BE(o)).toString('latin1') : undefined;
  return { json, macOk, version, account, sdkAppId, numericRoom, stringRoom, expiresAt, privileges, ttl: Number(json['TLS.expire']) };
}

describe('webrtc_room endpoints (demo identity: the unmodified client)', () => {
  it('get_login_info signs the body userID, or a generated one', async () => {
    const named = await call('get_login_info', { userID: 'alice' });
    const generated = await call('get_login_info', {});
    expect(named.body).toMatchObject({ code: 0, userID: 'alice', sdkAppID: CLOUD.sdkAppId });
    expect(typeof named.body.userSig).toBe('string');
    expect(generated.body.code).toBe(0);
    expect(String(generated.body.userID)).toMatch(/^[A-Za-z0-9_@.-]{1,32}$/);
  });

  it('create_room makes a numeric room with the creator in it and a key with the create privilege; enter_room lets others in', async () => {
    const created = await call('create_room', { userID: 'alice', roomInfo: 'my room', roomType: 'trtc' });
    expect(created.body.code).toBe(0);
    const roomID = String(created.body.roomID);
    expect(roomID).toMatch(/^[1-9][0-9]*$/);
    const entered = await enter('bob', roomID);
    const list = await call('get_room_list', { index: 0, count: 10, roomType: 'trtc' });

    expect(entered.body.code).toBe(0);
    expect(await members(roomID)).toEqual(['alice', 'bob']);
    const creatorKey = decodePrivateMapKey(String(created.body.privateMapKey));
    const memberKey = decodePrivateMapKey(String(entered.body.privateMapKey));
    expect(creatorKey).toMatchObject({ macOk: true, version: 0, account: 'alice', sdkAppId: CLOUD.sdkAppId, numericRoom: Number(roomID), privileges: 63 });
    expect(memberKey).toMatchObject({ macOk: true, account: 'bob', numericRoom: Number(roomID), privileges: 62 });
    expect(list.body.rooms).toEqual([{ roomID, roomInfo: 'my room', roomCreator: 'alice', members: [{ userID: 'alice', nickName: '' }, { userID: 'bob', nickName: '' }] }]);
  });

  it('enter_room creates a missing room (numeric id from a JSON number, string ids as strings), keys bound to that exact id with the configured lifetime', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, TRTC_PRIVATE_MAP_KEY_TTL: '600', TRTC_PRIVILEGE_MAP: '42' });
    const before = Math.floor(Date.now() / 1000);
    const numeric = await enter('carol', 12345);
    const leadingZero = await enter('carol', '007');
    const named = await enter('dave', 'team-room_1');
    const after = Math.floor(Date.now() / 1000);

    for (const answer of [numeric, leadingZero, named]) expect(answer.body.code).toBe(0);
    const n = decodePrivateMapKey(String(numeric.body.privateMapKey));
    expect(n).toMatchObject({ macOk: true, version: 0, account: 'carol', numericRoom: 12345, privileges: 43, ttl: 600 });
    expect(n.expiresAt).toBeGreaterThanOrEqual(before + 600);
    expect(n.expiresAt).toBeLessThanOrEqual(after + 600);
    // "007" is not room 7: a string room id.
    expect(decodePrivateMapKey(String(leadingZero.body.privateMapKey))).toMatchObject({ macOk: true, version: 1, stringRoom: '007', numericRoom: 0, privileges: 43 });
    expect(decodePrivateMapKey(String(named.body.privateMapKey))).toMatchObject({ macOk: true, version: 1, account: 'dave', stringRoom: 'team-room_1', privileges: 43 });
    expect(await members('12345')).toEqual(['carol']);
  });

  it('a full room answers 5001 and no key; heartbeat keeps a member, a non-member gets 5; quit_room leaves, the last one ends the room', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, WEBRTC_ROOM_MAX_MEMBERS: '2' });
    await enter('a', '500');
    await enter('b', '500');
    const full = await enter('c', '500');
    const beat = await call('heartbeat', { userID: 'a', roomID: '500' });
    const strangerBeat = await call('heartbeat', { userID: 'c', roomID: '500' });
    const strangerQuit = await call('quit_room', { userID: 'c', roomID: '500' });
    const quitA = await call('quit_room', { userID: 'a', roomID: '500' });
    const quitB = await call('quit_room', { userID: 'b', roomID: 500 });

    expect(full.body).toMatchObject({ code: 5001 });
    expect(full.body.privateMapKey).toBeUndefined();
    expect([beat, strangerBeat, strangerQuit, quitA, quitB].map(codeOf)).toEqual([0, 5, 5, 0, 0]);
    expect(await roomExists('500')).toBe(false);
    // Ending the room dismissed the TRTC room (numeric id: DismissRoom with an integer RoomId).
    expect(h.fake.trtcCalls).toEqual([{ action: 'DismissRoom', roomId: 500 }]);
  });

  it('refuses bad input with the field named, and unknown actions with 404', async () => {
    const noRoom = await call('enter_room', { userID: 'a' });
    const badRoom = await call('enter_room', { userID: 'a', roomID: 'no spaces' });
    const badUser = await call('heartbeat', { userID: 'x y', roomID: '1' });
    const noUser = await call('create_room', { roomInfo: 'x' });
    const longInfo = await call('create_room', { userID: 'a', roomInfo: 'x'.repeat(1025) });
    const unknown = await call('add_pusher', { userID: 'a', roomID: '1' });
    const wrongPlace = await invoke('/weapp/multi_room/enter_room', { method: 'POST', body: { userID: 'a', roomID: '1' } });
    const reserved = await enter('administrator', '9');

    expect(noRoom.body.message).toMatch(/roomID/);
    expect([noRoom.status, badRoom.status, badUser.status, noUser.status]).toEqual([400, 400, 400, 400]);
    expect([noRoom, badRoom, badUser, noUser].map(codeOf)).toEqual([1, 1, 1, 1]);
    expect(longInfo.body.code).toBe(10);
    expect([unknown.status, wrongPlace.status]).toEqual([404, 404]);
    expect(reserved.body.code).toBe(7);
  });

  it('a room id used by another room type is refused (code 11): the ids share one IM namespace', async () => {
    const host = await signIn('host');
    await host.call('multi_room', 'create_room', { roomID: 'shared1' });
    const clash = await enter('alice', 'shared1');
    expect(clash.body.code).toBe(11);
    expect(await roomExists('shared1')).toBe(false);
  });
});

describe('identity in stricter modes', () => {
  it('AUTH_MODE=off: proof required (session token as Bearer or token field); a body userID differing from it is code 7', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, AUTH_MODE: 'off' });
    const alice = await signIn('alice');
    const anonymous = await enter('alice', '77');
    const bearer = await enter('alice', '77', {});
    const viaHeader = await call('enter_room', { userID: 'alice', roomID: '77' }, { authorization: `Bearer ${alice.token}` });
    const viaField = await call('heartbeat', { userID: 'alice', roomID: '77', token: alice.token });
    const impostor = await call('enter_room', { userID: 'mallory', roomID: '77', token: alice.token });
    const listAnon = await call('get_room_list', {});
    const loginInfo = await call('get_login_info', { userID: 'alice', token: alice.token });
    await alice.call('multi_room', 'logout');
    const revoked = await call('heartbeat', { userID: 'alice', roomID: '77', token: alice.token });

    expect([anonymous, bearer].map(codeOf)).toEqual([7, 7]);
    expect([viaHeader, viaField].map(codeOf)).toEqual([0, 0]);
    expect(impostor.body.code).toBe(7);
    expect(listAnon.body.code).toBe(7);
    // As utils/get_login_info: with AUTH_MODE=off the app issues UserSigs itself.
    expect([loginInfo.status, loginInfo.body.code]).toEqual([403, 5005]);
    expect(revoked.body.code).toBe(7);
    expect(await members('77')).toEqual(['alice']);
  });

  it('AUTH_MODE=demo still checks a proof when one is sent: a valid session token passes, a foreign or malformed one is code 7', async () => {
    const alice = await signIn('alice');
    const valid = await call('enter_room', { userID: 'alice', roomID: '66', token: alice.token });
    const foreign = await call('enter_room', { userID: 'bob', roomID: '66', token: alice.token });
    const garbage = await call('enter_room', { userID: 'alice', roomID: '66' }, { authorization: 'Bearer not-a-token' });
    expect([valid, foreign, garbage].map(codeOf)).toEqual([0, 7, 7]);
    expect(await members('66')).toEqual(['alice']);
  });

  it('AUTH_MODE=jwt: the JWT subject is the user; another body userID is code 7', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, AUTH_MODE: 'jwt', AUTH_JWT_SECRET: JWT_SECRET });
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('erin').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    const auth = { authorization: `Bearer ${jwt}` };
    const ok = await call('enter_room', { userID: 'erin', roomID: '88' }, auth);
    const other = await call('enter_room', { userID: 'frank', roomID: '88' }, auth);
    const none = await enter('erin', '88');
    // The signature's first character changed (every bit of it counts; the last one has 2 unused bits that
    // jose does not check, so rewriting the tail sometimes still verified: about 1 run in 1,000).
    const sig = jwt.lastIndexOf('.') + 1;
    const forgedJwt = jwt.slice(0, sig) + (jwt[sig] === 'A' ? 'B' : 'A') + jwt.slice(sig + 1);
    const forged = await call('heartbeat', { userID: 'erin', roomID: '88' }, { authorization: `Bearer ${forgedJwt}` });
    const info = await call('get_login_info', {}, auth);

    expect(ok.body.code).toBe(0);
    expect(decodePrivateMapKey(String(ok.body.privateMapKey))).toMatchObject({ account: 'erin', numericRoom: 88 });
    expect([other, none, forged].map(codeOf)).toEqual([7, 7, 7]);
    expect(info.body).toMatchObject({ code: 0, userID: 'erin' });
  });
});

describe('capacity under concurrency', () => {
  it('200 concurrent enter_room on a 4-member room: exactly 4 get in, the others 5001, no partial state', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => enter(`u${i}`, '4242')));
    const ok = answers.filter((a) => a.body.code === 0);
    const full = answers.filter((a) => a.body.code === 5001);
    expect(ok).toHaveLength(4);
    expect(full).toHaveLength(196);
    expect(full.every((a) => a.body.privateMapKey === undefined)).toBe(true);
    const seated = await members('4242');
    expect(seated).toHaveLength(4);
    const beats = await h.rt.redis.zrange(roomKeys(h.prefix, WEBRTC_ROOM, '4242').beats, 0, -1);
    expect(beats.sort()).toEqual(seated);
    const keyed = ok.map((a) => decodePrivateMapKey(String(a.body.privateMapKey)).account).sort();
    expect(keyed).toEqual(seated);
    // The embedded store runs the 200 scripts in JavaScript: 14 s alone at a load average of 19, past the
    // default 20 s beside two other test files. The time is not what this test checks.
  }, 60_000);
});

describe('TRTC room callbacks', () => {
  it('a wrong or missing Sign, or no TRTC_CALLBACK_KEY, is HTTP 403 and changes nothing', async () => {
    await enter('a', '600');
    await enter('b', '600');
    const before = await stateSnapshot(h.rt, h.prefix);
    const wrongKey = await trtcCallback(104, { RoomId: 600, EventMsTs: Date.now(), UserId: 'b' }, 'anotherKey');
    const missing = await trtcCallback(104, { RoomId: 600, EventMsTs: Date.now(), UserId: 'b' }, CALLBACK_KEY, '');
    const garbage = await trtcCallback(104, { RoomId: 600, EventMsTs: Date.now(), UserId: 'b' }, CALLBACK_KEY, 'bm90IGEgc2lnbmF0dXJl');
    await h.reconfigure({});
    const unset = await trtcCallback(104, { RoomId: 600, EventMsTs: Date.now(), UserId: 'b' });

    expect([wrongKey, missing, garbage, unset].map((a) => a.status)).toEqual([403, 403, 403, 403]);
    expect([wrongKey, missing, garbage, unset].map(codeOf)).toEqual([7, 7, 7, 7]);
    expect(await stateSnapshot(h.rt, h.prefix)).toEqual(before);
    // The same event, signed with the key: applied.
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY });
    const good = await trtcCallback(104, { RoomId: 600, EventMsTs: Date.now(), UserId: 'b' });
    expect(good.status).toBe(200);
    expect(await members('600')).toEqual(['a']);
  });

  it('104 removes the member at once (reason logged); a duplicate and a late retry change nothing; an exit older than a re-entry never removes the new seat', async () => {
    await enter('a', '700');
    await enter('b', '700');
    const t0 = Date.now();
    await userEvent(103, 700, 'a', t0);
    const left = await userEvent(104, 700, 'a', t0 + 10);
    const duplicate = await userEvent(104, 700, 'a', t0 + 10);
    const lateEnter = await userEvent(103, 700, 'a', t0 + 5);
    const afterExit = await members('700');
    await sleep(5);
    await enter('a', '700'); // re-enters after the exit
    const staleExit = await userEvent(104, 700, 'a', t0 + 1);

    expect([left, duplicate, lateEnter, staleExit].map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(afterExit).toEqual(['b']);
    expect(await members('700')).toEqual(['a', 'b']);
    const outcomes = h.logs.filter((l) => l.includes('"trtc_callback"')).map((l) => JSON.parse(l).outcome);
    expect(outcomes).toEqual(['present', 'removed', 'duplicate', 'stale', 'stale']);
    expect(h.logs.some((l) => l.includes('"outcome":"removed"') && l.includes('callback 104'))).toBe(true);
  });

  it('102 ends the room; a 102 older than the room (an earlier room of that id) does not', async () => {
    const old = Date.now() - 60_000;
    await enter('a', '800');
    const stale = await trtcCallback(102, { RoomId: 800, EventMsTs: old });
    const existsAfterStale = await roomExists('800');
    const dismissed = await trtcCallback(102, { RoomId: 800, EventMsTs: Date.now() });

    expect([stale.body.code, dismissed.body.code]).toEqual([0, 0]);
    expect(existsAfterStale).toBe(true);
    expect(await roomExists('800')).toBe(false);
    // TRTC dismissed it itself: no DismissRoom call.
    expect(h.fake.trtcCalls).toEqual([]);
  });

  it('a member TRTC reports present survives missed heartbeats; a silent one is evicted and removed from the TRTC room', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, HEARTBEAT_TIMEOUT: '0.3' });
    await enter('present', 'room-p');
    await enter('silent', 'room-p');
    await enter('third', 'room-p');
    await userEvent(103, 'room-p', 'present', Date.now());
    await sleep(450);
    await sweep(h.rt);

    expect(await members('room-p')).toEqual(['present']);
    expect(h.fake.trtcCalls).toEqual([
      { action: 'RemoveUserByStrRoomId', roomId: 'room-p', userIds: ['silent'] },
      { action: 'RemoveUserByStrRoomId', roomId: 'room-p', userIds: ['third'] },
    ]);
  });
});

describe('presence never beyond capacity, nor forever', () => {
  it('a member TRTC reported present is kept without heartbeats for at most TRTC_PRESENCE_MAX_SILENCE (its 104 may be lost)', async () => {
    // Margins a loaded machine keeps: beater beats every ~100 ms against a 1.5 s timeout (0.3 s lapsed it
    // under a load average of 15-20); the loops' real time is never shorter than their nominal time.
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, HEARTBEAT_TIMEOUT: '1.5', TRTC_PRESENCE_MAX_SILENCE: '2' });
    await enter('ghost', 'pres-1');
    await enter('beater', 'pres-1');
    await userEvent(103, 'pres-1', 'ghost', Date.now());
    const beat = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        await sleep(100);
        await call('heartbeat', { userID: 'beater', roomID: 'pres-1' });
      }
    };
    await beat(1800);
    await sweep(h.rt); // ghost silent past its deadline, kept: TRTC says present
    const kept = await members('pres-1');
    await beat(2400);
    await sweep(h.rt); // silent for over 2 s since the first keep
    expect(kept).toEqual(['beater', 'ghost']);
    expect(await members('pres-1')).toEqual(['beater']);
    expect(h.fake.trtcCalls).toEqual([{ action: 'RemoveUserByStrRoomId', roomId: 'pres-1', userIds: ['ghost'] }]);
  });

  it('a 103 for a member whose seat lapsed and was taken does not bring it back: the sweeper evicts it', async () => {
    // Generous margins: a keeps a deadline 2 s ahead of every step below, however loaded the machine.
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, WEBRTC_ROOM_MAX_MEMBERS: '2', HEARTBEAT_TIMEOUT: '2' });
    await enter('a', 'cap-1');
    await enter('b', 'cap-1');
    await sleep(1200);
    await call('heartbeat', { userID: 'a', roomID: 'cap-1' });
    await sleep(1000); // b's seat lapsed; a still beats
    const c = await enter('c', 'cap-1');
    await userEvent(103, 'cap-1', 'b', Date.now());
    const listed = await call('get_room_list', {});
    await call('heartbeat', { userID: 'a', roomID: 'cap-1' });
    await call('heartbeat', { userID: 'c', roomID: 'cap-1' });
    await sweep(h.rt);

    expect(c.body.code).toBe(0);
    expect((listed.body.rooms as { members: unknown[] }[])[0]!.members).toEqual([{ userID: 'a', nickName: '' }, { userID: 'c', nickName: '' }]);
    expect(await members('cap-1')).toEqual(['a', 'c']);
  });
});

describe('the admin plane on webrtc rooms (bans in the shared join script, events through the shared helpers)', () => {
  const ADMIN_KEY = 'admin-key-for-webrtc-tests-0123456789abcdef';
  const admin = (method: string, path: string, body?: unknown) => invoke(path, { method, body, headers: { authorization: `Bearer ${ADMIN_KEY}` } });

  it('a kick removes the member from the TRTC room, a ban refuses enter_room (no key), a dismiss dismisses the TRTC room; every change is in the event log', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, ADMIN_API_KEY: ADMIN_KEY });
    await enter('a', 'adm-1');
    await enter('b', 'adm-1');
    const kick = await admin('POST', '/admin/rooms/webrtc_room/adm-1/kick', { userID: 'b' });
    const ban = await admin('POST', '/admin/bans', { userID: 'c', roomType: 'webrtc_room', roomID: 'adm-1', seconds: 60 });
    const banned = await enter('c', 'adm-1');
    const serviceBan = await admin('POST', '/admin/bans', { userID: 'd', seconds: 60 });
    const bannedCreate = await call('create_room', { userID: 'd', roomInfo: 'x' });
    const dismiss = await admin('POST', '/admin/rooms/webrtc_room/adm-1/dismiss');
    const events = await admin('GET', '/admin/events', undefined);

    expect([kick, ban, serviceBan, dismiss].map(codeOf)).toEqual([0, 0, 0, 0]);
    expect([banned.body.code, bannedCreate.body.code]).toEqual([7, 7]);
    expect(banned.body.privateMapKey).toBeUndefined();
    expect(h.fake.trtcCalls).toEqual([
      { action: 'RemoveUserByStrRoomId', roomId: 'adm-1', userIds: ['b'] },
      { action: 'DismissRoomByStrRoomId', roomId: 'adm-1' },
    ]);
    // Nothing left in the outbox: the removal and the dismissal were acknowledged.
    expect(await h.rt.redis.zrange(roomKeys(h.prefix, WEBRTC_ROOM, 'adm-1').outbox, 0, -1)).toEqual([]);
    const room = (events.body.events as { roomType: string; roomID: string; type: string; userID?: string; reason?: string }[]).filter((e) => e.roomType === WEBRTC_ROOM && e.roomID === 'adm-1');
    expect(room.map((e) => [e.type, e.userID ?? '', e.reason ?? ''])).toEqual([
      ['room_created', 'a', ''],
      ['room_started', 'a', ''],
      ['pusher_joined', 'a', ''],
      ['pusher_joined', 'b', ''],
      ['admin_kick', 'b', ''],
      ['pusher_left', 'b', 'kicked'],
      ['admin_ban', 'c', ''],
      ['admin_dismiss', '', ''],
      ['pusher_left', 'a', 'room_ended'],
      ['room_finished', '', 'admin'],
    ]);
  });

  it('TRTC callbacks and eviction emit the same events as the other types', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, ADMIN_API_KEY: ADMIN_KEY, HEARTBEAT_TIMEOUT: '0.3' });
    await enter('a', 'ev-1');
    await enter('b', 'ev-1');
    await enter('c', 'ev-1');
    await userEvent(104, 'ev-1', 'b', Date.now());
    await sleep(450);
    await sweep(h.rt);
    const events = await admin('GET', '/admin/events', undefined);
    const left = (events.body.events as { roomID: string; type: string; userID?: string; reason?: string }[])
      .filter((e) => e.roomID === 'ev-1' && (e.type === 'pusher_left' || e.type === 'room_finished'))
      .map((e) => [e.type, e.userID ?? '', e.reason ?? '']);
    expect(left[0]).toEqual(['pusher_left', 'b', 'left']);
    expect(left.slice(1).sort()).toEqual([['pusher_left', 'a', 'heartbeat_timeout'], ['pusher_left', 'c', 'heartbeat_timeout'], ['room_finished', '', 'last_left']].sort());
  });
});

describe('TRTC room management through the effects outbox', () => {
  it('a failed DismissRoom stays in the outbox and the sweeper retries it after the lease', async () => {
    await enter('a', 'gone-1');
    h.fake.failNext('DismissRoomByStrRoomId', 1, { errorCode: 'InternalError' });
    const quit = await call('quit_room', { userID: 'a', roomID: 'gone-1' });
    const outbox = roomKeys(h.prefix, WEBRTC_ROOM, 'gone-1').outbox;
    const pending = await h.rt.redis.zrange(outbox, 0, -1);
    expect(quit.body.code).toBe(0);
    expect(pending).toContain('destroy|gone-1');
    expect(h.fake.trtcCalls).toEqual([]);

    // The lease runs out: move it to now (a crashed performer's entry looks the same).
    await h.rt.redis.zadd(outbox, Date.now() - 1, 'destroy|gone-1');
    await sweep(h.rt);

    expect(h.fake.trtcCalls).toEqual([{ action: 'DismissRoomByStrRoomId', roomId: 'gone-1' }]);
    expect(await h.rt.redis.zrange(outbox, 0, -1)).toEqual([]);
    const signed = h.fake.calls.filter((c) => c.command === 'DismissRoomByStrRoomId');
    expect(signed.length).toBe(2);
    expect(signed.every((c) => c.signed)).toBe(true);
  });

  it('the creator leaving ends the room when WEBRTC_ROOM_CREATOR_CAN_DESTROY_ROOM is set; a room whose members all went silent is reaped and dismissed', async () => {
    await h.reconfigure({ TRTC_CALLBACK_KEY: CALLBACK_KEY, WEBRTC_ROOM_CREATOR_CAN_DESTROY_ROOM: 'true', HEARTBEAT_TIMEOUT: '0.3' });
    const created = await call('create_room', { userID: 'boss', roomInfo: 'r' });
    const roomID = String(created.body.roomID);
    await enter('guest', roomID);
    await call('quit_room', { userID: 'boss', roomID });
    expect(await roomExists(roomID)).toBe(false);

    await enter('lonely', 'idle-1');
    await sleep(450);
    await sweep(h.rt);
    expect(await roomExists('idle-1')).toBe(false);
    expect(h.fake.trtcCalls).toEqual([
      { action: 'DismissRoom', roomId: Number(roomID) },
      { action: 'DismissRoomByStrRoomId', roomId: 'idle-1' },
    ]);
  });
});
