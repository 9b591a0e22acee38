/**
 * The other clients of the family on the wire (issue 22), without their files:
 * what the PC browser client (TencentVideoCloudMLVBDev/webrtc_web_source,
 * component/WebRTCRoom.js) and webrtc_server_java's doc/protocol.md send and
 * read. get_room_members, nickName kept with the member, create_room's
 * userID/roomInfo, enter_room's userID/roomID (the web client heartbeats with
 * the roomID enter_room answers), get_login_info's accountType, and
 * get_room_list's page size as `count` or `cnt`. The web client itself runs in
 * tests/browser/webrtc-web-client.test.ts. Runs on the real Redis, on the
 * embedded store and with ROOM_PARTITIONS=4 (vitest.config.ts).
 */
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { readEvents } from '../../shared/events/log';
import { harnessPerFile, invoke, pushUrlFor, signIn, stateSnapshot, type Answer, type Harness } from '../support/harness';

let h: Harness;
harnessPerFile((harness) => (h = harness));

const JWT_SECRET = 'jwt-secret-0123456789-0123456789-abcdef';
/** The web client's server URL is `//xzb.qcloud.com/webrtc/weapp/webrtc_room`: the path carries a prefix before /weapp. */
const WEB_CLIENT_BASE = '/webrtc/weapp/webrtc_room';

const call = (action: string, body: unknown, headers: Record<string, string> = {}) => invoke(`/weapp/webrtc_room/${action}`, { method: 'POST', body, headers });
const membersOf = async (roomID: string, headers: Record<string, string> = {}) => call('get_room_members', { roomID }, headers);
const memberList = (answer: Answer) => answer.body.members as { userID: string; nickName: string }[];
const sorted = <T extends { userID: string }>(list: T[]) => [...list].sort((a, b) => (a.userID < b.userID ? -1 : 1));

describe('get_room_members (the web client sends only roomID)', () => {
  it('lists the live members with the nickName each entered with, as the class page shows them', async () => {
    // Prepare
    const created = await call('create_room', { userID: 'userid_web_1', nickName: '曹操', roomInfo: 'math' });
    const roomID = String(created.body.roomID);
    await call('enter_room', { userID: 'userid_web_2', nickName: '刘备', roomID });
    await call('enter_room', { userID: 'plain', roomID }); // the mini-program sends no nickName

    // Act
    const answer = await membersOf(roomID);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.code).toBe(0);
    expect(sorted(memberList(answer))).toEqual([
      { userID: 'plain', nickName: '' },
      { userID: 'userid_web_1', nickName: '曹操' },
      { userID: 'userid_web_2', nickName: '刘备' },
    ]);
  });

  it('follows the room: entering again replaces the nickName, quitting removes the member, the ended room is code 3', async () => {
    // Prepare
    await call('enter_room', { userID: 'alice', nickName: 'Alice', roomID: 4321 });
    await call('enter_room', { userID: 'bob', nickName: 'Bob', roomID: '4321' });

    // Act
    await call('enter_room', { userID: 'alice', nickName: 'Alice B.', roomID: '4321' });
    const renamed = await membersOf('4321');
    await call('quit_room', { userID: 'bob', roomID: '4321' });
    const afterQuit = await membersOf('4321');
    await call('quit_room', { userID: 'alice', roomID: '4321' });
    const ended = await membersOf('4321');

    // Assess
    expect(sorted(memberList(renamed))).toEqual([
      { userID: 'alice', nickName: 'Alice B.' },
      { userID: 'bob', nickName: 'Bob' },
    ]);
    expect(memberList(afterQuit)).toEqual([{ userID: 'alice', nickName: 'Alice B.' }]);
    // The web client leaves the class page on errCode 3.
    expect(ended.body).toMatchObject({ code: 3 });
    expect(ended.body.members).toBeUndefined();
  });

  it('takes the roomID as a JSON number too, and answers under the web client\'s prefixed path', async () => {
    await call('enter_room', { userID: 'carol', nickName: 'Carol', roomID: '777' });

    const numeric = await membersOf(777 as unknown as string);
    const prefixed = await invoke(`${WEB_CLIENT_BASE}/get_room_members`, { method: 'POST', body: { roomID: '777' } });

    expect(memberList(numeric)).toEqual([{ userID: 'carol', nickName: 'Carol' }]);
    expect(prefixed.body).toMatchObject({ code: 0, members: [{ userID: 'carol', nickName: 'Carol' }] });
  });

  it('refuses a missing or malformed roomID with code 1 naming it, and a room never entered with code 3', async () => {
    const missing = await call('get_room_members', {});
    const malformed = await membersOf('no spaces');
    const absent = await membersOf('424242');
    const notJson = await invoke('/weapp/webrtc_room/get_room_members', { method: 'POST', rawBody: '{roomID:1' });

    expect([missing.status, malformed.status, notJson.status]).toEqual([400, 400, 400]);
    expect([missing.body.code, malformed.body.code, notJson.body.code]).toEqual([1, 1, 1]);
    expect(missing.body.message).toMatch(/roomID/);
    expect(malformed.body.message).toMatch(/roomID/);
    expect(absent.body.code).toBe(3);
  });

  it('is a read: the rooms and seats are the same before and after', async () => {
    await call('enter_room', { userID: 'dave', nickName: 'Dave', roomID: '55' });
    const before = await stateSnapshot(h.rt, h.prefix);

    await membersOf('55');
    await membersOf('56');

    expect(await stateSnapshot(h.rt, h.prefix)).toEqual(before);
  });

  it('follows the identity mode: AUTH_MODE=jwt needs a proof (code 7 without), a JWT or a session token lets anyone with one read', async () => {
    // Prepare
    await h.reconfigure({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: JWT_SECRET });
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('erin').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    await call('enter_room', { userID: 'erin', nickName: 'Erin', roomID: '88' }, { authorization: `Bearer ${jwt}` });
    const frank = await signIn('frank');

    // Act
    const anonymous = await membersOf('88');
    const withJwt = await membersOf('88', { authorization: `Bearer ${jwt}` });
    const withSession = await call('get_room_members', { userID: 'frank', roomID: '88', token: frank.token });
    const impostor = await call('get_room_members', { userID: 'mallory', roomID: '88' }, { authorization: `Bearer ${jwt}` });

    // Assess
    expect(anonymous.body.code).toBe(7);
    expect(anonymous.body.members).toBeUndefined();
    expect(withJwt.body).toMatchObject({ code: 0, members: [{ userID: 'erin', nickName: 'Erin' }] });
    expect(withSession.body).toMatchObject({ code: 0, members: [{ userID: 'erin', nickName: 'Erin' }] });
    expect(impostor.body.code).toBe(7);
  });
});

describe('nickName with create_room and enter_room', () => {
  it('is bounded like userName (256 bytes): longer, or not a string, is code 1 naming it and changes nothing', async () => {
    // Prepare
    await call('enter_room', { userID: 'gina', roomID: '99' });
    const before = await stateSnapshot(h.rt, h.prefix);

    // Act: 86 three-byte characters are 258 bytes; 85 are 255.
    const longCreate = await call('create_room', { userID: 'hank', nickName: '名'.repeat(86), roomInfo: 'x' });
    const longEnter = await call('enter_room', { userID: 'ivan', nickName: 'x'.repeat(257), roomID: '99' });
    const notText = await call('enter_room', { userID: 'ivan', nickName: 42, roomID: '99' });
    const after = await stateSnapshot(h.rt, h.prefix);
    const fits = await call('enter_room', { userID: 'ivan', nickName: '名'.repeat(85), roomID: '99' });

    // Assess
    for (const refused of [longCreate, longEnter, notText]) {
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe(1);
      expect(refused.body.message).toMatch(/nickName/);
      expect(refused.body.privateMapKey).toBeUndefined();
    }
    expect(after).toEqual(before);
    expect(fits.body.code).toBe(0);
    expect(sorted(memberList(await membersOf('99')))).toEqual([
      { userID: 'gina', nickName: '' },
      { userID: 'ivan', nickName: '名'.repeat(85) },
    ]);
  });

  it('markup in a nickName is kept as text, byte for byte', async () => {
    const markup = '<img src=x onerror=alert(1)>"\'&';
    await call('enter_room', { userID: 'jane', nickName: markup, roomID: '101' });

    expect(memberList(await membersOf('101'))).toEqual([{ userID: 'jane', nickName: markup }]);
  });

  it("the member's pusher_joined event carries its nickName as userName", async () => {
    await call('create_room', { userID: 'nina', nickName: 'Nina', roomInfo: 'x' });
    await call('enter_room', { userID: 'owen', roomID: '103' });

    const joined = (await readEvents(h.rt, { limit: 100 })).events.filter((event) => event.type === 'pusher_joined');

    // Sorted: with partitions the merged log orders events of one millisecond by partition.
    expect(joined.map((event) => [event.userID, event.userName]).sort()).toEqual([
      ['nina', 'Nina'],
      ['owen', ''],
    ]);
  });

  it('get_room_list lists the members with their nickNames too', async () => {
    await call('enter_room', { userID: 'kate', nickName: 'Kate', roomID: '102', roomInfo: 'art' });

    const list = await call('get_room_list', { index: 0, count: 20 });

    expect(list.body.rooms).toEqual([{ roomID: '102', roomInfo: 'art', roomCreator: 'kate', members: [{ userID: 'kate', nickName: 'Kate' }] }]);
  });
});

describe('what the web client reads from the answers', () => {
  it('create_room answers userID, roomID, roomInfo and privateMapKey (CreateRoomRsp)', async () => {
    const created = await call('create_room', { userID: 'userid_web_9', nickName: 'Teacher', roomInfo: 'physics' });

    expect(created.body).toMatchObject({ code: 0, userID: 'userid_web_9', roomInfo: 'physics', roomID: expect.stringMatching(/^[1-9][0-9]*$/), privateMapKey: expect.any(String) });
  });

  it('enter_room answers userID and the roomID as stored (the client heartbeats with it), and privateMapKey (EnterRoomRsp)', async () => {
    const entered = await call('enter_room', { userID: 'lena', nickName: 'Lena', roomID: 12345 });
    const beat = await call('heartbeat', { userID: 'lena', roomID: entered.body.roomID });

    expect(entered.body).toMatchObject({ code: 0, userID: 'lena', roomID: '12345', privateMapKey: expect.any(String) });
    expect(beat.body.code).toBe(0);
  });

  it('get_login_info answers accountType: IM_ACCOUNT_TYPE as configured, as a string', async () => {
    const byDefault = await call('get_login_info', { userID: 'mike' });
    await h.reconfigure({ IM_ACCOUNT_TYPE: '36862' });
    const configured = await call('get_login_info', { userID: 'mike' });

    expect(byDefault.body).toMatchObject({ code: 0, userID: 'mike', accountType: '0', userSig: expect.any(String), sdkAppID: expect.any(Number) });
    expect(configured.body.accountType).toBe('36862');
  });

  it('get_login_info takes userID "" as none (webrtc_server_java: empty is assigned at random)', async () => {
    const empty = await call('get_login_info', { userID: '' });
    const other = await call('get_login_info', { userID: '' });

    expect(empty.body.code).toBe(0);
    expect(String(empty.body.userID)).toMatch(/^[A-Za-z0-9_@.-]{1,32}$/);
    expect(other.body.userID).not.toBe(empty.body.userID);
  });
});

describe('get_room_list page size: count (TRTC clients) or cnt (stream protocol)', () => {
  it('webrtc_room takes count, cnt, or both when they agree; both differing is code 1 naming them', async () => {
    for (const id of ['201', '202', '203']) await call('enter_room', { userID: `u${id}`, roomID: id });

    const byCount = await call('get_room_list', { index: 0, count: 2 });
    const byCnt = await call('get_room_list', { index: 1, cnt: 2 });
    const both = await call('get_room_list', { index: 0, cnt: 1, count: 1 });
    const differ = await call('get_room_list', { index: 0, cnt: 1, count: 2 });
    const byDefault = await call('get_room_list', {});

    const ids = (answer: Answer) => (answer.body.rooms as { roomID: string }[]).map((room) => room.roomID);
    expect(ids(byCount)).toEqual(['201', '202']);
    expect(ids(byCnt)).toEqual(['202', '203']);
    expect(ids(both)).toEqual(['201']);
    expect(ids(byDefault)).toEqual(['201', '202', '203']);
    expect(differ.status).toBe(400);
    expect(differ.body.code).toBe(1);
    expect(differ.body.message).toMatch(/cnt and count differ/);
  });

  it('the stream rooms take count as well as cnt, with the same limits', async () => {
    const host = await signIn('host');
    for (const id of ['s1', 's2']) {
      await host.call('multi_room', 'create_room', { roomID: id });
      await host.call('multi_room', 'add_pusher', { roomID: id, userName: 'Host', userAvatar: '', pushURL: pushUrlFor('host') });
    }

    const byCount = await host.call('multi_room', 'get_room_list', { index: 0, count: 1 });
    const tooMany = await host.call('multi_room', 'get_room_list', { index: 0, count: 101 });

    expect((byCount.body.rooms as { roomID: string }[]).map((room) => room.roomID)).toEqual(['s1']);
    expect(tooMany.body.code).toBe(1);
    expect(tooMany.body.message).toMatch(/count must be at most 100/);
  });
});
