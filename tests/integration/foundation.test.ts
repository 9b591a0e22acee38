import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handle } from '../../shared/http/endpoint';
import { verifyUserSig } from '../../shared/sign/usersig';
import { main_handler as routerHandler } from '../../functions/router';
import { main_handler as loginHandler } from '../../functions/login';
import { main_handler as testPushUrlHandler } from '../../functions/get_test_pushurl';
import { CLOUD, invoke, signIn, sleep, startHarness, stateKeys, userSigFor, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());
beforeEach(async () => h.clean());

const loginQuery = (userID: string, userSig = userSigFor(userID)) => ({ sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID, userSig });

describe('login and sessions', () => {
  it('issues a token for a valid UserSig, which logout revokes', async () => {
    // Prepare
    const alice = await signIn('alice');
    // Act
    const pushUrl = await alice.call('multi_room', 'get_push_url');
    const out = await alice.call('multi_room', 'logout');
    const after = await alice.call('multi_room', 'get_push_url');
    // Assess
    expect(alice.token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    expect(pushUrl.body.code).toBe(0);
    expect(out.body.code).toBe(0);
    expect(after.body.code).toBe(7);
    expect(await stateKeys(h.rt, h.prefix)).toEqual([]);
  });

  it('refuses forged, foreign, expired or missing signatures with code 7 and a reason', async () => {
    const foreignApp = (await import('tls-sig-api-v2')).Api;
    const cases: [Record<string, string>, RegExp][] = [
      [loginQuery('alice', userSigFor('bob')), /another userID/],
      [{ ...loginQuery('alice'), sdkAppID: '1400000001' }, /sdkAppID/],
      [loginQuery('alice', new foreignApp(CLOUD.sdkAppId, 'f'.repeat(64)).genUserSig('alice', 3600)), /signature/],
      [loginQuery('alice', new foreignApp(CLOUD.sdkAppId, CLOUD.secretKey).genUserSig('alice', -10)), /expired/],
      [loginQuery('alice', 'garbage'), /not a valid ticket|invalid/],
    ];
    for (const [query, reason] of cases) {
      const answer = await invoke('/weapp/multi_room/login', { query });
      expect(answer.body.code, JSON.stringify(query)).toBe(7);
      expect(answer.body.message).toMatch(reason);
      expect(typeof answer.body.result).toBe('string');
    }
    expect(await stateKeys(h.rt, h.prefix)).toEqual([]);
  });

  it('refuses a missing, wrong, or other user\'s token, and a body userID that differs', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const tampered = alice.token.slice(0, -2) + (alice.token.endsWith('AA') ? 'BB' : 'AA');
    const answers = await Promise.all([
      invoke('/weapp/multi_room/get_push_url', { query: { userID: 'alice' }, body: {} }),
      invoke('/weapp/multi_room/get_push_url', { query: { userID: 'alice', token: tampered }, body: {} }),
      invoke('/weapp/multi_room/get_push_url', { query: { userID: 'alice', token: bob.token }, body: {} }),
      invoke('/weapp/multi_room/get_push_url', { query: { userID: 'alice', token: alice.token }, body: { userID: 'bob' } }),
    ]);
    expect(answers.map((a) => a.body.code)).toEqual([7, 7, 7, 7]);
  });

  it('expires sessions after SESSION_TTL', async () => {
    await h.reconfigure({ SESSION_TTL: '0.3' });
    const alice = await signIn('alice');
    expect((await alice.call('double_room', 'get_push_url')).body.code).toBe(0);
    await new Promise((r) => setTimeout(r, 450));
    expect((await alice.call('double_room', 'get_push_url')).body.code).toBe(7);
    await h.reconfigure({});
  });
});

describe('quotas', () => {
  it('limits requests per user and per IP with HTTP 429, without touching room state', async () => {
    await h.reconfigure({ RATE_LIMIT_PER_USER: '3', RATE_LIMIT_PER_IP: '5' });
    // Quotas count per calendar minute: a run across a minute boundary would start a new window midway.
    if (Date.now() % 60_000 > 50_000) await sleep(60_000 - (Date.now() % 60_000) + 50);
    try {
      const alice = await signIn('alice');
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await alice.call('multi_room', 'get_room_list', { index: 0, cnt: 5 })).body.code);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await invoke('/weapp/utils/get_test_rtmpaccurl')).status);
      // Prepare-free: the per-IP window of the utilities is separate from the room partitions.
      expect(codes).toEqual([0, 0, 0, 429, 429]);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
      const limited = await alice.call('multi_room', 'get_room_list', {});
      expect(limited.status).toBe(429);
      expect(limited.body.message).toMatch(/too many requests/);
    } finally {
      await h.reconfigure({});
    }
  });
});

describe('utility endpoints', () => {
  it('get_login_info answers a UserSig that verifies, and a random user when none is given', async () => {
    const named = await invoke('/weapp/utils/get_login_info', { query: { userID: 'alice' } });
    const random = await invoke('/weapp/utils/get_login_info');
    expect(named.body).toMatchObject({ code: 0, userID: 'alice', sdkAppID: CLOUD.sdkAppId, accType: '0' });
    expect(verifyUserSig({ sdkAppId: CLOUD.sdkAppId, secretKey: CLOUD.secretKey }, 'alice', named.body.userSig as string).ok).toBe(true);
    expect(random.body.userID).toMatch(/^user_[0-9a-f]{8}_[0-9a-f]{4}$/);
  });

  it('get_push_url signs the caller\'s stream, named after the room when one is given', async () => {
    const alice = await signIn('alice');
    const plain = await alice.call('live_room', 'get_push_url');
    const inRoom = await alice.call('live_room', 'get_push_url', { roomID: 'room_9' });
    expect(plain.body.pushURL).toMatch(/^rtmp:\/\/8888\.livepush\.myqcloud\.com\/live\/8888_alice_[0-9a-f]{4}\?bizid=8888&txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$/);
    expect(inRoom.body.pushURL).toContain('/live/8888_r_room-5f9_alice?');
  });

  it('serves the test URLs', async () => {
    const urls = await invoke('/weapp/utils/get_test_pushurl');
    const acc = await invoke('/weapp/utils/get_test_rtmpaccurl');
    expect(Object.keys(urls.body)).toEqual(expect.arrayContaining(['url_push', 'url_play_flv', 'url_play_rtmp', 'url_play_hls', 'url_play_acc']));
    expect(urls.body.url_play_hls).toMatch(/^http:\/\/8888\.liveplay\.myqcloud\.com\/live\/8888_user-5f[0-9a-f]{8}-5f[0-9a-f]{4}_[0-9a-f]{4}\.m3u8$/);
    expect(acc.body.url_rtmpacc).toMatch(/\/live\/8888_testclock_rtmpacc\?bizid=8888&txSecret=/);
  });

  it('check_config reports verdicts and probes to an operator without echoing a secret', async () => {
    const key = 'operator-key-for-tests-0123456789abcdef';
    await h.reconfigure({ CHECK_CONFIG_OPERATOR_KEY: key });
    const answer = await invoke('/weapp/utils/check_config', { headers: { 'x-operator-key': key } });
    await h.reconfigure({});
    const text = JSON.stringify(answer.body);
    expect(answer.body.code).toBe(0);
    expect(answer.body).toMatchObject({ ok: true, redis: { ok: true }, im: { ok: true } });
    expect(answer.body.warnings).toEqual([expect.stringMatching(/AUTH_MODE=demo/), expect.stringMatching(/LIVE_PLAY_SECRET_KEY/)]);
    for (const secret of [CLOUD.secretKey, CLOUD.pushSecretKey, CLOUD.cloudSecretKey, CLOUD.callbackKey, CLOUD.trtcCallbackKey]) expect(text).not.toContain(secret);
  });
});

describe('bad input', () => {
  it('answers the envelope with the right status for malformed requests, changing nothing', async () => {
    const alice = await signIn('alice');
    const auth = { userID: 'alice', token: alice.token };
    const before = (await stateKeys(h.rt, h.prefix)).sort();
    const cases: [Parameters<typeof invoke>, number, number, RegExp][] = [
      [['/weapp/multi_room/create_room', { query: auth, rawBody: '{not json' }], 400, 1, /not valid JSON/],
      [['/weapp/multi_room/create_room', { query: auth, rawBody: '[1,2]' }], 400, 1, /JSON object/],
      [['/weapp/multi_room/create_room', { query: auth, rawBody: JSON.stringify({ roomInfo: 'x'.repeat(70_000) }) }], 413, 413, /larger than/],
      [['/weapp/multi_room/add_pusher', { query: auth, body: { roomID: 7 } }], 400, 1, /roomID/],
      [['/weapp/multi_room/add_pusher', { query: auth, body: { roomID: 'r1' } }], 400, 1, /pushURL/],
      [['/weapp/multi_room/create_room', { query: auth, body: { roomInfo: 'x'.repeat(1025) } }], 200, 10, /roomInfo/],
      [['/weapp/square_room/create_room', { query: auth, body: {} }], 404, 404, /unknown room type/],
      [['/weapp/multi_room/get_logfile', { query: auth, body: {} }], 404, 404, /unknown action/],
      [['/weapp/multi_room/merge_stream', { query: auth, body: {} }], 404, 404, /room type/],
      [['/weapp/multi_room/create_room', { method: 'GET', query: auth }], 405, 405, /POST only/],
    ];
    for (const [args, status, code, message] of cases) {
      const answer = await invoke(...args);
      expect([answer.status, answer.body.code], JSON.stringify(args).slice(0, 120)).toEqual([status, code]);
      expect(answer.body.message).toMatch(message);
      expect(answer.body.requestId).toBeTruthy();
    }
    expect((await stateKeys(h.rt, h.prefix)).sort()).toEqual(before);
  });

  it('answers CORS preflights', async () => {
    const answer = await invoke('/weapp/multi_room/add_pusher', { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
    expect(answer.status).toBe(204);
    expect(answer.headers['Access-Control-Allow-Origin']).toBe('*');
  });

  it('names the accepted shapes for an unknown console event', async () => {
    const response = await routerHandler({ foo: 1 });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/accepted event shapes/);
  });
});

describe('event adapters', () => {
  it('accepts a plain console test object and a Function URL event', async () => {
    const consoleAnswer = await testPushUrlHandler({ query: {} });
    const login = await loginHandler({ path: '/weapp/multi_room/login', query: { sdkAppID: String(CLOUD.sdkAppId), userID: 'carol', userSig: userSigFor('carol') } });
    const functionUrl = await routerHandler({
      httpMethod: 'GET',
      path: '/weapp/utils/get_login_info',
      queryString: { userID: 'dave' },
      headers: { 'x-scf-remote-addr': '10.0.0.1' },
      body: '',
    });
    expect(JSON.parse(consoleAnswer.body).code).toBe(0);
    expect(JSON.parse(login.body)).toMatchObject({ code: 0, userID: 'carol' });
    expect(JSON.parse(functionUrl.body)).toMatchObject({ code: 0, userID: 'dave' });
    expect(functionUrl.headers['X-Request-Id']).toMatch(/^[0-9a-f]{24}$/);
  });

  it('logs one line per request with no token or signature in it', async () => {
    h.logs.length = 0;
    const alice = await signIn('alice');
    await alice.call('multi_room', 'get_push_url');
    const lines = h.logs.map((l) => JSON.parse(l)).filter((l) => l.event === 'request');
    expect(lines.map((l) => l.endpoint)).toEqual(['login', 'get_push_url']);
    expect(lines[1]).toMatchObject({ user: 'alice', code: 0, roomType: 'multi_room' });
    expect(typeof lines[1].ms).toBe('number');
    expect(h.logs.join('\n')).not.toContain(alice.token);
  });

  it('reports a configuration error by variable name instead of crashing', async () => {
    const { installRuntime } = await import('../../shared/runtime');
    installRuntime(undefined);
    const saved = process.env.LIVE_BIZID;
    process.env.LIVE_BIZID = 'abc';
    try {
      const response = await handle(undefined, { path: '/weapp/utils/get_test_pushurl', method: 'GET' });
      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body).message).toMatch(/LIVE_BIZID must be/);
    } finally {
      if (saved === undefined) delete process.env.LIVE_BIZID;
      else process.env.LIVE_BIZID = saved;
      installRuntime(h.rt);
    }
  });
});
