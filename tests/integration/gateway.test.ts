/**
 * The local gateway over real HTTP, on both stores it can use: the embedded
 * emulation of `npm start` and the real Redis. IM and live calls go to the
 * loopback fake, so notifications and group destruction are observable.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomPartitions } from '../../shared/rooms/keys';
import { setLogSink } from '../../shared/log';
import { startGateway, type Gateway } from '../../scripts/gateway';
import type { FakeCloud } from '../support/fake-cloud';
import { deleteByPrefix, pushUrlFor, sleep, startTestCloud, testEnv } from '../support/harness';

// Long enough that alice's own beats (a request every ~50 ms plus its latency)
// keep her seated even when the machine is loaded (CI runs this beside other jobs).
const HEARTBEAT_MS = 1500;
const SWEEP_MS = 200;
const ADMIN_API_KEY = 'gateway-admin-key-0123456789abcdefghij';

async function http(gw: Gateway, path: string, query: Record<string, string> = {}, body?: unknown) {
  const url = `${gw.url}/weapp/${path}?${new URLSearchParams(query)}`;
  const response = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { code: number } };
}

/**
 * The embedded store only at its own layout: with ROOM_PARTITIONS>1 (the cluster run's 48, read once per
 * process) ioredis-mock, which interprets Lua, needs ~16 s for one admin room list over 48 partitions, a
 * layout `npm start` never runs; every `npm test` runs this block at the default.
 */
const STORES: [string, boolean][] = [
  ...(roomPartitions() > 1 ? [] : [['embedded store (npm start default)', false] as [string, boolean]]),
  ['real Redis', true],
];

describe.each(STORES)('local gateway on %s', (_name, realRedis) => {
  let fake: FakeCloud;
  let gw: Gateway;
  const prefix = `test-gw-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    setLogSink(() => undefined);
    fake = await startTestCloud();
    const env = testEnv(fake, prefix, { HEARTBEAT_TIMEOUT: String(HEARTBEAT_MS / 1000), MULTI_ROOM_MAX_MEMBERS: '2', ADMIN_API_KEY });
    if (!realRedis) delete env.REDIS_URL;
    gw = await startGateway({ env, port: 0, sweepIntervalMs: SWEEP_MS, quiet: true });
  });
  afterAll(async () => {
    if (realRedis) await deleteByPrefix(gw.runtime, prefix);
    await gw.close();
    await fake.close();
  });

  it('serves the admin plane: the dashboard page without a key, the API with it', async () => {
    const page = await fetch(`${gw.url}/admin/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await page.text()).toMatch(/<html/);
    const refused = await fetch(`${gw.url}/admin/rooms`);
    expect(refused.status).toBe(401);
    const rooms = await fetch(`${gw.url}/admin/rooms?type=multi_room`, { headers: { authorization: `Bearer ${ADMIN_API_KEY}` } });
    expect(rooms.headers.get('cache-control')).toBe('no-store');
    expect(await rooms.json()).toMatchObject({ code: 0, message: 'ok', rooms: expect.any(Array) });
    const ban = await fetch(`${gw.url}/admin/bans/nobody?room=multi_room%2Fr%3A1`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_API_KEY}` } });
    expect(await ban.json()).toMatchObject({ code: 0, lifted: false });
  });

  async function login(userID: string): Promise<Record<string, string>> {
    const info = await http(gw, 'utils/get_login_info', { userID });
    const answer = await http(gw, 'multi_room/login', { sdkAppID: String(info.body.sdkAppID), accountType: '0', userID, userSig: String(info.body.userSig) }, {});
    expect(answer.body.code).toBe(0);
    return { userID, token: String(answer.body.token) };
  }

  it('get_login_info -> login -> get_push_url -> logout -> token refused', async () => {
    const alice = await login('alice');
    const pushUrl = await http(gw, 'multi_room/get_push_url', alice, { userID: 'alice' });
    expect(pushUrl.body.pushURL).toMatch(/^rtmp:\/\/.+\/live\/8888_alice_[0-9a-f]{4}\?bizid=8888&txSecret=/);
    expect((await http(gw, 'multi_room/logout', alice, {})).body.code).toBe(0);
    const refused = await http(gw, 'multi_room/get_push_url', alice, { userID: 'alice' });
    expect([refused.status, refused.body.code]).toEqual([200, 7]);
  });

  it('reaches rooms and users named . and .. over real HTTP: `~` before the id, since fetch turns them (and %2e%2e) into dot segments', async () => {
    const owner = await login('dot-owner');
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> & { code: number } }),
      );
    // Rooms created and not entered: no seat that a heartbeat timeout (1.5 s here) could reap under load.
    for (const roomID of ['..', '.']) {
      expect((await http(gw, 'multi_room/create_room', owner, { userID: 'dot-owner', roomID, roomInfo: 'dots' })).body.code).toBe(0);
      // As written, the client's URL parser rewrites the path: another route answers.
      const rewritten = await admin('GET', `/admin/rooms/multi_room/${roomID === '.' ? '%2e' : '%2e%2e'}`);
      expect(rewritten.body.room).toBeUndefined();
      const room = await admin('GET', `/admin/rooms/multi_room/~${roomID}`);
      expect(room.body).toMatchObject({ code: 0, room: { roomID, creator: 'dot-owner', roomInfo: 'dots' } });
      expect((await admin('POST', `/admin/rooms/multi_room/~${roomID}/info`, { roomInfo: 'renamed' })).body.code).toBe(0);
      // The kick route reaches the room too: '..' holds no seat in it (409), not "no such route" (404/405).
      expect(await admin('POST', `/admin/rooms/multi_room/~${roomID}/kick`, { userID: '..' })).toMatchObject({ status: 409, body: { code: 5 } });
      expect((await admin('POST', `/admin/rooms/multi_room/~${roomID}/dismiss`, {})).body.code).toBe(0);
      expect((await admin('GET', `/admin/rooms/multi_room/~${roomID}`)).status).toBe(404);
    }
    // A user named .. too (DELETE /admin/bans/{userID}).
    expect((await admin('POST', '/admin/bans', { userID: '..', seconds: 60 })).body.code).toBe(0);
    expect((await admin('DELETE', '/admin/bans/~..')).body).toMatchObject({ code: 0, lifted: true });
  });

  it('plays the scripted session: fill, refuse, time out, notify, audience, destroy', async () => {
    const [alice, bob, carol, viewer] = await Promise.all(['alice', 'bob', 'carol', 'viewer'].map(login)) as Record<string, string>[];
    const enter = (who: Record<string, string>, roomID: string, type = 'multi_room') =>
      http(gw, `${type}/add_pusher`, who!, { userID: who!.userID, roomID, userName: who!.userID, userAvatar: '', pushURL: pushUrlFor(who!.userID!) });

    // Two users create and fill a multi room; a third is refused.
    const room = await http(gw, 'multi_room/create_room', alice!, { userID: 'alice', roomInfo: 'demo' });
    const roomID = String(room.body.roomID);
    expect((await enter(alice!, roomID)).body.code).toBe(0);
    const bobEntered = Date.now();
    expect((await enter(bob!, roomID)).body.code).toBe(0);
    expect((await enter(carol!, roomID)).body.code).toBe(5001);

    // Bob stops heartbeating; alice keeps going and is told when bob disappears.
    const notifiedBefore = fake.notifications.filter((n) => n.groupId === roomID).length;
    const started = Date.now();
    let goneAfter = -1;
    let sinceBobEntered = -1;
    while (Date.now() - started < HEARTBEAT_MS + 3 * SWEEP_MS + 1000) {
      await http(gw, 'multi_room/pusher_heartbeat', alice!, { userID: 'alice', roomID });
      const seen = await http(gw, 'multi_room/get_pushers', alice!, { userID: 'alice', roomID });
      // Alice beats all along: her room must never read as gone.
      expect(seen.body.code, JSON.stringify(seen.body)).toBe(0);
      const pushers = seen.body.pushers as { userID: string }[];
      const notified = fake.notifications.filter((n) => n.groupId === roomID).length > notifiedBefore;
      if (pushers.length === 1 && notified) {
        goneAfter = Date.now() - started;
        sinceBobEntered = Date.now() - bobEntered;
        break;
      }
      await sleep(50);
    }
    console.log(`scripted session on ${_name}: silent pusher gone and others notified after ${goneAfter} ms (timeout ${HEARTBEAT_MS} ms, sweep every ${SWEEP_MS} ms)`);
    // Not before bob's deadline, and by the first sweep after it (plus slack for a loaded machine).
    expect(sinceBobEntered).toBeGreaterThanOrEqual(HEARTBEAT_MS);
    expect(goneAfter).toBeLessThanOrEqual(HEARTBEAT_MS + SWEEP_MS + 250);

    // A live room gains and loses audience with a correct count.
    expect((await enter(alice!, 'live_demo', 'live_room')).body.code).toBe(0);
    for (const who of [viewer!, bob!, viewer!]) await http(gw, 'live_room/add_audience', who, { userID: who.userID, roomID: 'live_demo', userInfo: '{}' });
    expect((await http(gw, 'live_room/get_audiences', alice!, { roomID: 'live_demo' })).body.audienceCount).toBe(2);
    await http(gw, 'live_room/delete_audience', bob!, { userID: 'bob', roomID: 'live_demo' });
    await http(gw, 'live_room/delete_audience', bob!, { userID: 'bob', roomID: 'live_demo' });
    expect((await http(gw, 'live_room/get_audiences', alice!, { roomID: 'live_demo' })).body.audienceCount).toBe(1);

    // Destroying the room destroys its IM group. Alice takes her seat again
    // first: on a busy machine the audience part can outlast her heartbeat
    // timeout, and add_pusher re-creates a room the sweeper reaped meanwhile.
    expect((await enter(alice!, roomID)).body.code).toBe(0);
    expect(fake.groups.has(roomID)).toBe(true);
    expect((await http(gw, 'multi_room/destroy_room', alice!, { userID: 'alice', roomID })).body.code).toBe(0);
    expect(fake.groups.has(roomID)).toBe(false);
  });
});

describe('npm start without ADMIN_API_KEY', () => {
  /** Starts the gateway as `npm start` does and answers what it printed on start. */
  async function startPrinting(env: Record<string, string>): Promise<{ gw: Gateway; printed: string }> {
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      const gw = await startGateway({ env, port: 0, sweepIntervalMs: 0 });
      return { gw, printed: chunks.join('') };
    } finally {
      process.stdout.write = write;
    }
  }

  it('generates a development admin key, prints it with the /admin/ address, and the dashboard and API take it', async () => {
    setLogSink(() => undefined);
    const fake = await startTestCloud();
    const env = testEnv(fake, `test-gwkey-${randomBytes(3).toString('hex')}`);
    delete env.REDIS_URL; // the embedded store, as a first `npm start`
    delete env.ADMIN_API_KEY;
    const { gw, printed } = await startPrinting(env);
    try {
      const text = printed;
      expect(text).toContain(`dashboard at ${gw.url}/admin/`);
      const key = /development ADMIN_API_KEY (\S+)/.exec(text)?.[1];
      expect(key).toMatch(/^[0-9a-f]{48}$/);
      expect(gw.runtime.config.adminApiKey).toBe(key);
      expect((await fetch(`${gw.url}/admin/`)).status).toBe(200);
      expect((await fetch(`${gw.url}/admin/rooms`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${gw.url}/admin/rooms`, { headers: { authorization: 'Bearer another-key-0123456789abcdefghijklmn' } })).status).toBe(401);
    } finally {
      await gw.close();
      await fake.close();
    }
  });

  it('keeps a key the operator set, and says so instead of printing it', async () => {
    setLogSink(() => undefined);
    const fake = await startTestCloud();
    const env = { ...testEnv(fake, `test-gwkey-${randomBytes(3).toString('hex')}`, { ADMIN_API_KEY }) };
    delete env.REDIS_URL;
    const { gw, printed } = await startPrinting(env);
    try {
      expect(printed).toContain('ADMIN_API_KEY as set');
      expect(printed).not.toContain(ADMIN_API_KEY);
      expect(gw.runtime.config.adminApiKey).toBe(ADMIN_API_KEY);
    } finally {
      await gw.close();
      await fake.close();
    }
  });
});
