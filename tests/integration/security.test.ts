/**
 * Security and reliability round 2 (issue 13): one regression test per hole
 * found by attacking the running service. Each failed before its fix.
 */
import { SignJWT } from 'jose';
import { Api as TlsSigApi } from 'tls-sig-api-v2';
import { describe, expect, it } from 'vitest';
import { CLOUD, harnessPerFile, invoke, pushUrlFor, signIn, signInAll, sleep, stateKeys, userSigFor, type Answer, type Client, type Harness } from '../support/harness';
import { roomKeys, roomPartitions } from '../../shared/rooms/keys';

let h: Harness;
harnessPerFile((started) => (h = started));

const join = (c: Client, type: string, roomID: string, pushURL = pushUrlFor(c.userId)) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL });
const login = (userID: string, userSig = userSigFor(userID)) =>
  invoke('/weapp/multi_room/login', { query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID, userSig } });
const codes = (answers: Answer[]) => answers.map((a) => a.body.code);

describe('1. group lifecycle per room id under a slow IM', () => {
  it('a join racing the last leave never leaves the room without its IM group (8 rounds)', async () => {
    await h.reconfigure({ ROOMS_PER_USER: '20' }); // bob ends up creator of every room
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    let interleaved = 0;
    for (let round = 0; round < 8; round++) {
      const roomID = `phoenix${round}`;
      expect((await join(alice, 'multi_room', roomID)).body.code).toBe(0);
      expect(h.fake.groups.has(roomID)).toBe(true);
      // IM answers destroy_group late: the leave is committed, its destroy is in flight.
      h.fake.failNext('destroy_group', 1, { delayMs: 80 });
      const leaving = alice.call('multi_room', 'delete_pusher', { roomID });
      await sleep(20);
      const joined = await join(bob, 'multi_room', roomID);
      expect((await leaving).body.code).toBe(0);
      expect(joined.body.code).toBe(0);
      if (joined.body.roomID === roomID) interleaved++; // bob's join (re)created the room
      await sleep(100); // every IM call has landed
      expect(h.fake.groups.has(roomID), `round ${round}: group of the live room`).toBe(true);
      // The new room's members get notices.
      const before = h.fake.notifications.filter((n) => n.groupId === roomID).length;
      expect((await join(carol, 'multi_room', roomID)).body.code).toBe(0);
      expect(h.fake.notifications.filter((n) => n.groupId === roomID).length).toBe(before + 1);
    }
    console.log(`[security] group race: ${interleaved}/8 rounds had the join re-create the room while the destroy was in flight`);
    expect(interleaved).toBeGreaterThan(0);
  }, 30_000);

  it('create_room racing a destroy_room of the same id keeps the new room\'s group (5 rounds)', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    for (let round = 0; round < 5; round++) {
      const roomID = `again${round}`;
      expect((await join(alice, 'live_room', roomID)).body.code).toBe(0);
      h.fake.failNext('destroy_group', 1, { delayMs: 80 });
      const destroying = alice.call('live_room', 'destroy_room', { roomID });
      await sleep(20);
      const created = await bob.call('live_room', 'create_room', { roomID, roomInfo: 'x' });
      expect((await destroying).body.code).toBe(0);
      expect(created.body.code).toBe(0);
      await sleep(100);
      expect(h.fake.groups.has(roomID), `round ${round}`).toBe(true);
    }
  }, 30_000);

  it('a group found by create_group but destroyed by a room that came and went meanwhile is made again (3 rounds)', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    for (let round = 0; round < 3; round++) {
      const roomID = `gap${round}`;
      // IM makes alice's group at once but her answer arrives late; meanwhile bob's
      // room takes the id (create_group: "exists"), ends, and its destroy lands.
      h.fake.failNext('create_group', 1, { replyDelayMs: 150 });
      const creating = alice.call('live_room', 'create_room', { roomID, roomInfo: 'x' });
      await sleep(30);
      expect((await join(bob, 'live_room', roomID)).body.code).toBe(0);
      expect((await bob.call('live_room', 'delete_pusher', { roomID })).body.code).toBe(0);
      expect(h.fake.groups.has(roomID)).toBe(false);
      expect((await creating).body.code).toBe(0);
      expect(h.fake.groups.has(roomID), `round ${round}: group of alice's room`).toBe(true);
      expect((await alice.call('live_room', 'destroy_room', { roomID })).body.code).toBe(0);
    }
  }, 30_000);

  it('a destroy that failed stays pending: a re-create waits at most IM_TIMEOUT_MS, answers 6, and goes ahead once the lease ran out', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    expect((await join(alice, 'multi_room', 'stuck')).body.code).toBe(0);
    h.fake.failNext('destroy_group', 1, { errorCode: 10004 }); // IM refuses: the destroy stays in the outbox, leased
    expect((await alice.call('multi_room', 'delete_pusher', { roomID: 'stuck' })).body.code).toBe(0);
    const started = performance.now();
    const refused = await join(bob, 'multi_room', 'stuck');
    const waited = performance.now() - started;
    console.log(`[security] re-create during a failed destroy: code ${refused.body.code} after ${Math.round(waited)} ms (IM_TIMEOUT_MS ${h.rt.config.im.timeoutMs})`);
    expect(refused.body.code).toBe(6);
    expect(refused.body.message).toMatch(/retry/);
    expect(waited).toBeLessThan(h.rt.config.im.timeoutMs + 400);
    // The destroyer is gone for good once its lease ran out: the new room keeps the group.
    const outbox = roomKeys(h.prefix, 'multi_room', 'stuck').outbox;
    await h.rt.redis.zadd(outbox, Date.now() - 1, 'destroy|stuck');
    expect((await join(bob, 'multi_room', 'stuck')).body.code).toBe(0);
    expect(h.fake.groups.has('stuck')).toBe(true);
    expect(await h.rt.redis.zscore(outbox, 'destroy|stuck')).toBeNull();
  });
});

describe('2. custom fields', () => {
  it('only the room\'s pushers may change fields; the answer carries what changed', async () => {
    const [alice, stranger] = await signInAll('alice', 'stranger');
    expect((await join(alice, 'live_room', 'show')).body.code).toBe(0);
    const refused = await stranger.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'x', operation: 'set', value: 'spam' });
    expect(refused.body.code).toBe(5);
    expect(codes([await stranger.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc' })])).toEqual([5]);
    const first = await alice.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc' });
    const second = await alice.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'title', operation: 'set', value: 'hi' });
    expect(first.body).toMatchObject({ code: 0, custom: '{"likes":1}' });
    expect(second.body).toMatchObject({ code: 0, custom: '{"title":"hi"}' });
    expect(JSON.parse((await stranger.call('live_room', 'get_custom_info', { roomID: 'show' })).body.custom as string)).toEqual({ likes: 1, title: 'hi' });
  });

  it('caps the number of fields and their bytes per room (code 10), changing nothing beyond', async () => {
    await h.reconfigure({ CUSTOM_MAX_FIELDS: '3', CUSTOM_MAX_BYTES: '200' });
    const alice = await signIn('alice');
    expect((await join(alice, 'live_room', 'capped')).body.code).toBe(0);
    const set = (fieldName: string, value: string) => alice.call('live_room', 'set_custom_field', { roomID: 'capped', fieldName, operation: 'set', value });
    expect(codes([await set('a', '1'), await set('b', '2'), await set('c', '3')])).toEqual([0, 0, 0]);
    const fourth = await set('d', '4');
    expect(fourth.body.code).toBe(10);
    expect(fourth.body.message).toMatch(/fields/);
    expect((await set('a', 'changed')).body.code).toBe(0); // existing fields stay writable
    const big = await set('b', 'x'.repeat(250));
    expect(big.body.code).toBe(10);
    expect(big.body.message).toMatch(/bytes/);
    expect(JSON.parse((await alice.call('live_room', 'get_custom_info', { roomID: 'capped' })).body.custom as string)).toEqual({ a: 'changed', b: '2', c: '3' });
  });
});

describe('5. stream names', () => {
  const streamOf = (answer: Answer) => /\/live\/([^?]+)\?/.exec(answer.body.pushURL as string)![1]!;

  it('never gives two (room, user) pairs the same stream name', async () => {
    const [rtb, teamRtb, x] = await signInAll('rtb', 'team_rtb', 'x');
    const a = await rtb.call('live_room', 'get_push_url', { roomID: 'party_team' });
    const b = await teamRtb.call('live_room', 'get_push_url', { roomID: 'party' });
    const c = await x.call('live_room', 'get_push_url', { roomID: 'a:b' });
    const d = await x.call('live_room', 'get_push_url', { roomID: 'a_b' });
    expect(streamOf(a)).not.toBe(streamOf(b));
    expect(streamOf(c)).not.toBe(streamOf(d));
    for (const name of [a, b, c, d].map(streamOf)) expect(name).toMatch(/^[A-Za-z0-9_-]+$/); // Tencent's stream name alphabet
  });

  it('add_pusher accepts a stream only when it is exactly the caller\'s for this room', async () => {
    const [rtb, teamRtb] = await signInAll('rtb', 'team_rtb');
    const rtbUrl = (await rtb.call('live_room', 'get_push_url', { roomID: 'party_team' })).body.pushURL as string;
    const teamUrl = (await teamRtb.call('live_room', 'get_push_url', { roomID: 'party' })).body.pushURL as string;
    expect((await join(rtb, 'live_room', 'party_team', teamUrl)).body.code).toBe(1); // someone else's stream
    expect((await join(rtb, 'live_room', 'elsewhere', rtbUrl)).body.code).toBe(1); // another room's stream
    expect((await join(rtb, 'live_room', 'party_team', rtbUrl)).body.code).toBe(0);
    expect((await join(teamRtb, 'live_room', 'party', teamUrl)).body.code).toBe(0);
    // A stream without a room (get_push_url with no roomID) still works in any room, as old clients use it.
    const plain = (await teamRtb.call('multi_room', 'get_push_url')).body.pushURL as string;
    expect((await join(teamRtb, 'multi_room', 'any', plain)).body.code).toBe(0);
    expect((await join(rtb, 'multi_room', 'any', plain)).body.code).toBe(1);
  });
});

describe('6. reserved identities', () => {
  it('get_login_info and login refuse the IM administrator (any case) and other reserved ids', async () => {
    for (const userID of [CLOUD.administrator, 'Administrator']) {
      const info = await invoke('/weapp/utils/get_login_info', { query: { userID } });
      expect(info.body.code, userID).toBe(7);
      expect(info.body.userSig).toBeUndefined();
      expect((await login(userID)).body.code, userID).toBe(7);
    }
    await h.reconfigure({ AUTH_RESERVED_USER_IDS: 'ops,root' });
    expect((await invoke('/weapp/utils/get_login_info', { query: { userID: 'root' } })).body.code).toBe(7);
    expect((await login('ops')).body.code).toBe(7);
    expect((await login('alice')).body.code).toBe(0);
  });

  it('jwt mode refuses a token whose subject is the administrator', async () => {
    const secret = 'jwt-secret-for-tests-0123456789abcdef';
    await h.reconfigure({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: secret });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(CLOUD.administrator).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const answer = await invoke('/weapp/utils/get_login_info', { headers: { authorization: `Bearer ${token}` } });
    expect(answer.body.code).toBe(7);
    expect(answer.body.userSig).toBeUndefined();
  });

  it('login refuses a ticket carrying TLS.userbuf (a TRTC PrivateMapKey)', async () => {
    const api = new TlsSigApi(CLOUD.sdkAppId, CLOUD.secretKey) as unknown as { genPrivateMapKey(user: string, expire: number, room: number, privileges: number): string };
    const privateMapKey = api.genPrivateMapKey('alice', 3600, 1234, 255);
    const answer = await login('alice', privateMapKey);
    expect(answer.body.code).toBe(7);
    expect(answer.body.message).toMatch(/userbuf/i);
  });
});

describe('7. JWT lifetime', () => {
  const secret = 'jwt-secret-for-tests-0123456789abcdef';
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice');
    if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
    return jwt.sign(new TextEncoder().encode(secret));
  };
  const ask = async (token: string) => invoke('/weapp/utils/get_login_info', { headers: { authorization: `Bearer ${token}` } });

  it('requires exp and bounds the token age (AUTH_JWT_MAX_AGE)', async () => {
    await h.reconfigure({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: secret, AUTH_JWT_MAX_AGE: '3600' });
    const noExp = await ask(await sign({ iat: now() }));
    expect(noExp.body.code).toBe(7);
    expect(noExp.body.message).toMatch(/exp/);
    const tooLong = await ask(await sign({ iat: now(), exp: now() + 30 * 86400 }));
    expect(tooLong.body.code).toBe(7);
    const tooOld = await ask(await sign({ iat: now() - 7200, exp: now() + 60 }));
    expect(tooOld.body.code).toBe(7);
    const farWithoutIat = await ask(await sign({ exp: now() + 7200 }));
    expect(farWithoutIat.body.code).toBe(7);
    expect((await ask(await sign({ iat: now(), exp: now() + 600 }))).body).toMatchObject({ code: 0, userID: 'alice' });
    expect((await ask(await sign({ exp: now() + 600 }))).body).toMatchObject({ code: 0, userID: 'alice' }); // iat is optional
  });
});

describe('8. sessions per user', () => {
  const usable = async (userId: string, token: string) =>
    (await invoke('/weapp/multi_room/get_push_url', { query: { userID: userId, token }, body: {} })).body.code === 0;

  it('keeps at most SESSION_MAX_PER_USER live sessions, evicting the oldest', async () => {
    await h.reconfigure({ SESSION_MAX_PER_USER: '3' });
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await login('alice')).body.token as string);
    expect(await Promise.all(tokens.map((t) => usable('alice', t)))).toEqual([false, false, true, true, true]);
  });

  it('holds under concurrent logins (4 rounds of 15)', async () => {
    await h.reconfigure({ SESSION_MAX_PER_USER: '3' });
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(Array.from({ length: 15 }, () => login('bob')));
      expect(codes(answers).every((c) => c === 0)).toBe(true);
      const live = await Promise.all(answers.map((a) => usable('bob', a.body.token as string)));
      expect(live.filter(Boolean).length, `round ${round}`).toBe(3);
    }
    // A copy of each session in every partition (ROOM_PARTITIONS, shared/auth/sessions.ts).
    const sessions = (await stateKeys(h.rt, h.prefix)).filter((k) => /:s:/.test(k));
    expect(sessions.length).toBe(3 * roomPartitions());
  });
});

describe('9. rooms per user', () => {
  it('limits the rooms a user holds open across types (ROOMS_PER_USER)', async () => {
    await h.reconfigure({ ROOMS_PER_USER: '2' });
    const alice = await signIn('alice');
    expect((await alice.call('multi_room', 'create_room', { roomID: 'm1', roomInfo: 'x' })).body.code).toBe(0);
    expect((await join(alice, 'live_room', 'l1')).body.code).toBe(0);
    const third = await alice.call('double_room', 'create_room', { roomID: 'd1', roomInfo: 'x' });
    expect(third.body.code).toBe(5006);
    expect((await join(alice, 'multi_room', 'm2')).body.code).toBe(5006); // add_pusher creating a room counts too
    expect(h.fake.groups.has('d1') || h.fake.groups.has('m2')).toBe(false);
    expect((await alice.call('live_room', 'destroy_room', { roomID: 'l1' })).body.code).toBe(0);
    expect((await alice.call('double_room', 'create_room', { roomID: 'd1', roomInfo: 'x' })).body.code).toBe(0);
  });

  it('holds under concurrent create_room (3 rounds of 12)', async () => {
    await h.reconfigure({ ROOMS_PER_USER: '3' });
    const bob = await signIn('bob');
    for (let round = 0; round < 3; round++) {
      const groupsBefore = h.fake.calls.filter((c) => c.command === 'create_group').length;
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => bob.call(i % 2 ? 'multi_room' : 'live_room', 'create_room', { roomID: `c${round}-${i}`, roomInfo: 'x' })));
      expect(codes(answers).filter((c) => c === 0).length, `round ${round}`).toBe(3);
      // Refused before IM: no more groups made than rooms allowed.
      expect(h.fake.calls.filter((c) => c.command === 'create_group').length - groupsBefore).toBe(3);
      expect(codes(answers).filter((c) => c !== 0).every((c) => c === 5006)).toBe(true);
      for (const [i, a] of answers.entries()) if (a.body.code === 0) await bob.call(i % 2 ? 'multi_room' : 'live_room', 'destroy_room', { roomID: a.body.roomID });
    }
  }, 20_000);
});

describe('10. check_config', () => {
  const OPERATOR_KEY = 'operator-key-for-tests-0123456789abcdef';
  const accountChecks = () => h.fake.calls.filter((c) => c.command === 'account_check').length;

  it('answers the public only ok / not ok, and caches the IM verdict', async () => {
    const answers = [await invoke('/weapp/utils/check_config'), await invoke('/weapp/utils/check_config')];
    for (const answer of answers) {
      expect(answer.body).toMatchObject({ code: 0, ok: true });
      expect(Object.keys(answer.body).sort()).toEqual(['code', 'message', 'ok', 'requestId']);
      expect(JSON.stringify(answer.body)).not.toContain(CLOUD.administrator);
    }
    expect(accountChecks()).toBeLessThanOrEqual(1);
  });

  it('gives the details only with the operator key (CHECK_CONFIG_OPERATOR_KEY)', async () => {
    await h.reconfigure({ CHECK_CONFIG_OPERATOR_KEY: OPERATOR_KEY });
    const detailed = await invoke('/weapp/utils/check_config', { headers: { 'x-operator-key': OPERATOR_KEY } });
    expect(detailed.body).toMatchObject({ code: 0, ok: true, redis: { ok: true }, im: { ok: true } });
    expect(detailed.body.settings).toBeDefined();
    const wrong = await invoke('/weapp/utils/check_config', { headers: { 'x-operator-key': `${OPERATOR_KEY}x` } });
    expect(wrong.body.code).toBe(7);
    expect(wrong.body.settings).toBeUndefined();
  });
});

describe('12. room-id squatting', () => {
  it('creator rights go to the first pusher when the creator never entered', async () => {
    const [mallory, alice, bob] = await signInAll('mallory', 'alice', 'bob');
    expect((await mallory.call('multi_room', 'create_room', { roomID: 'hall', roomInfo: 'x' })).body.code).toBe(0);
    expect((await join(alice, 'multi_room', 'hall')).body.code).toBe(0);
    expect((await join(bob, 'multi_room', 'hall')).body.code).toBe(0);
    expect((await bob.call('multi_room', 'get_pushers', { roomID: 'hall' })).body.roomCreator).toBe('alice');
    expect((await mallory.call('multi_room', 'destroy_room', { roomID: 'hall' })).body.code).toBe(3);
    expect((await alice.call('multi_room', 'destroy_room', { roomID: 'hall' })).body.code).toBe(0);
  });

  it('a creator who enters first keeps the room', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    expect((await alice.call('multi_room', 'create_room', { roomID: 'own', roomInfo: 'x' })).body.code).toBe(0);
    expect((await join(alice, 'multi_room', 'own')).body.code).toBe(0);
    expect((await join(bob, 'multi_room', 'own')).body.code).toBe(0);
    expect((await bob.call('multi_room', 'get_pushers', { roomID: 'own' })).body.roomCreator).toBe('alice');
  });
});
