/**
 * The curl examples of the docs are run as written, in bash, against the
 * local gateway exactly as `npm start` builds it (embedded store, no cloud
 * credentials), so the docs cannot drift from the service: README's first
 * session, the TRTC room examples (docs/trtc-rooms.md) and the admin API
 * examples (docs/admin-api.md).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../shared/log';
import { startGateway, type Gateway } from '../../scripts/gateway';
import { markedBlock } from '../support/docs';

const sessionBlock = () => markedBlock('README.md', 'readme-session');

let gw: Gateway;
const ADMIN_API_KEY = 'readme-admin-key-0123456789abcdefghij';
beforeAll(async () => {
  setLogSink(() => undefined);
  // What `npm start` does on a fresh machine: nothing configured.
  gw = await startGateway({ env: { PATH: process.env.PATH, ADMIN_API_KEY }, port: 0, sweepIntervalMs: 0, quiet: true });
});
afterAll(async () => gw?.close());

describe('README curl session', () => {
  it('covers login, create, join, heartbeat, list, custom field, audience and leave', () => {
    const block = sessionBlock();
    for (const action of ['login', 'create_room', 'add_pusher', 'pusher_heartbeat', 'get_room_list', 'set_custom_field', 'add_audience', 'delete_pusher']) {
      expect(block, action).toContain(action);
    }
  });

  it('runs as written: every answer is code 0 and says what the session did', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', sessionBlock()], { env: { ...process.env, B: gw.url }, timeout: 30_000 });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { code: number });
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    expect(answers).toHaveLength(10);
    const [created, , , firstList, custom, , audiences, , , lastList] = answers;
    expect(created!.roomID).toBe('demo');
    expect((firstList!.rooms as { roomID: string; pushers: { userID: string }[] }[]).map((r) => [r.roomID, r.pushers.map((p) => p.userID)])).toEqual([['demo', ['host']]]);
    expect(custom!.custom).toBe('{"likes":5}');
    expect(audiences!.audiences).toEqual([{ userID: 'viewer', userInfo: '{"nick": "V"}' }]);
    expect(lastList!.rooms).toEqual([]);
  });
});

describe('docs/trtc-rooms.md webrtc_room examples', () => {
  it('runs as written: every answer is code 0, with the keys and rooms it says', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', markedBlock('docs/trtc-rooms.md', 'readme-webrtc')], { env: { ...process.env, B: gw.url }, timeout: 30_000 });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { code: number });
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    expect(answers).toHaveLength(7);
    const [info, created, entered, , members, list] = answers;
    expect(info).toMatchObject({ userID: 'alice', accountType: expect.any(String) });
    expect(entered).toMatchObject({ roomID: '12345', userID: 'bob' });
    expect(members!.members).toEqual([{ userID: 'bob', nickName: 'Bob' }]);
    expect(String(created!.roomID)).toMatch(/^[1-9][0-9]*$/);
    expect(typeof created!.privateMapKey).toBe('string');
    expect(typeof entered!.privateMapKey).toBe('string');
    expect((list!.rooms as { roomID: string; members: { userID: string }[] }[]).map((r) => [r.roomID, r.members.map((m) => m.userID)])).toEqual([
      [String(created!.roomID), ['alice']],
      ['12345', ['bob']],
    ]);
    // Leave the gateway as the other examples expect it: alice's room ends too.
    const quit = await fetch(`${gw.url}/weapp/webrtc_room/quit_room`, { method: 'POST', body: JSON.stringify({ userID: 'alice', roomID: created!.roomID }) });
    expect(((await quit.json()) as { code: number }).code).toBe(0);
  });
});

describe('docs/admin-api.md admin API examples', () => {
  /** A live_room action through the gateway as `user` (demo auth: anyone gets a UserSig). */
  async function session(user: string) {
    const info = (await (await fetch(`${gw.url}/weapp/utils/get_login_info?userID=${user}`)).json()) as { sdkAppID: number; userSig: string };
    const login = (await (await fetch(`${gw.url}/weapp/live_room/login`, { method: 'POST', body: JSON.stringify({ sdkAppID: info.sdkAppID, userID: user, userSig: info.userSig }) })).json()) as { token: string };
    return async (action: string, body: Record<string, unknown>) =>
      (await (await fetch(`${gw.url}/weapp/live_room/${action}?userID=${user}&token=${login.token}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<string, unknown>;
  }

  it('runs as written: every answer is code 0', async () => {
    // The room the block acts on: demo, with pushers host and guest.
    for (const user of ['host', 'guest']) {
      const call = await session(user);
      const { pushURL } = (await call('get_push_url', { roomID: 'demo' })) as { pushURL: string };
      expect((await call('add_pusher', { roomID: 'demo', userName: user, pushURL })).code).toBe(0);
    }
    const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', markedBlock('docs/admin-api.md', 'readme-admin')], { env: { ...process.env, B: gw.url, ADMIN_API_KEY }, timeout: 30_000 });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { code: number });
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    expect(answers).toHaveLength(13);
    const [rooms, room, , , , bans, , , , , events] = answers;
    expect((rooms!.rooms as { roomID: string }[]).map((r) => r.roomID)).toEqual(['demo']);
    expect(room!.room).toMatchObject({ roomID: 'demo', pushers: [{ userID: 'guest' }, { userID: 'host' }] });
    expect((bans!.bans as { scope: string }[]).map((b) => b.scope).sort()).toEqual(['live_room/demo', 'service']);
    expect((events!.events as { type: string; reason?: string }[]).map((e) => e.type)).toEqual(expect.arrayContaining(['admin_kick', 'admin_dismiss', 'room_finished']));
  });
});
