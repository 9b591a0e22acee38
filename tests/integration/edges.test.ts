/**
 * The friendly edges: login from the query or a JSON body, code 1 naming a
 * missing or malformed parameter (7 only for wrong credentials), inc/dec
 * with a step, add_audience without userInfo, and the empty roomID that
 * liveroom.js's exitRoom sends to delete_pusher and delete_audience.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOUD, invoke, pushUrlFor, signIn, startHarness, stateSnapshot, userSigFor, type Answer, type Client, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const credentials = (userID: string) => ({ sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID, userSig: userSigFor(userID) });
const codeOf = (a: Answer) => [a.status, a.body.code];

describe('login', () => {
  it('takes its parameters from the query or from a JSON body (sdkAppID may be a number there)', async () => {
    const fromQuery = await invoke('/weapp/live_room/login', { query: credentials('alice') });
    const fromBody = await invoke('/weapp/live_room/login', { body: { ...credentials('bob'), sdkAppID: CLOUD.sdkAppId } });
    expect([fromQuery.body.code, fromQuery.body.userID]).toEqual([0, 'alice']);
    expect([fromBody.body.code, fromBody.body.userID]).toEqual([0, 'bob']);
    // The token works like any other.
    const pushUrl = await invoke('/weapp/live_room/get_push_url', { query: { userID: 'bob', token: String(fromBody.body.token) }, body: {} });
    expect(pushUrl.body.code).toBe(0);
  });

  it('ignores a body that is not JSON when the query holds the parameters (the old server read only the query)', async () => {
    const answer = await invoke('/weapp/multi_room/login', { query: credentials('carol'), rawBody: 'sdkAppID=1&userID=x' });
    expect([answer.status, answer.body.code, answer.body.userID]).toEqual([200, 0, 'carol']);
  });

  it.each([
    ['sdkAppID', { userID: 'alice', userSig: 'x' }, /^sdkAppID is required/],
    ['userID', { sdkAppID: String(CLOUD.sdkAppId), userSig: 'x' }, /^userID is required/],
    ['userSig', { sdkAppID: String(CLOUD.sdkAppId), userID: 'alice' }, /^userSig is required/],
    ['malformed userID', { ...credentials('alice'), userID: 'bad id!' }, /^userID must be/],
    ['malformed sdkAppID', { ...credentials('alice'), sdkAppID: '14e8' }, /^sdkAppID must be/],
  ])('answers code 1 naming the field: %s', async (_name, query, message) => {
    const answer = await invoke('/weapp/multi_room/login', { query: query as Record<string, string> });
    expect(codeOf(answer)).toEqual([400, 1]);
    expect(answer.body.message).toMatch(message);
  });

  it('answers 7 for a bad signature or a foreign sdkAppID', async () => {
    expect((await invoke('/weapp/multi_room/login', { query: { ...credentials('alice'), userSig: 'garbage' } })).body.code).toBe(7);
    expect((await invoke('/weapp/multi_room/login', { body: { ...credentials('alice'), sdkAppID: 1400000001 } })).body.code).toBe(7);
  });
});

describe('room edges', () => {
  let host: Client;
  let guest: Client;
  const room = 'edges';
  const custom = (a: Answer) => JSON.parse(String(a.body.custom)) as Record<string, unknown>;

  beforeAll(async () => {
    host = await signIn('host');
    guest = await signIn('guest');
    const joined = await host.call('live_room', 'add_pusher', { roomID: room, userName: 'h', userAvatar: '', pushURL: pushUrlFor('host') });
    expect(joined.body.code).toBe(0);
  });

  it('inc/dec add their value (a number or digits), 1 without one', async () => {
    const set = (body: Record<string, unknown>) => host.call('live_room', 'set_custom_field', { roomID: room, fieldName: 'likes', ...body });
    expect(custom(await set({ operation: 'inc', value: 10 })).likes).toBe(10);
    expect(custom(await set({ operation: 'inc' })).likes).toBe(11);
    expect(custom(await set({ operation: 'dec', value: '4' })).likes).toBe(7);
    expect(custom(await set({ operation: 'inc', value: -2 })).likes).toBe(5);
  });

  it('refuses a step that is not an integer with code 1, changing nothing', async () => {
    const before = await stateSnapshot(h.rt, h.prefix);
    for (const value of [1.5, 'ten', '', 2 ** 60]) {
      const answer = await host.call('live_room', 'set_custom_field', { roomID: room, fieldName: 'likes', operation: 'inc', value });
      expect(codeOf(answer), JSON.stringify(value)).toEqual([400, 1]);
      expect(answer.body.message).toMatch(/^value /);
    }
    expect(await stateSnapshot(h.rt, h.prefix)).toEqual(before);
  });

  it('add_audience without userInfo keeps the stored one; with one replaces it', async () => {
    const audiences = async () => (await host.call('live_room', 'get_audiences', { roomID: room })).body.audiences;
    await guest.call('live_room', 'add_audience', { roomID: room, userInfo: '{"nick":"g"}' });
    expect((await guest.call('live_room', 'add_audience', { roomID: room })).body.code).toBe(0);
    expect(await audiences()).toEqual([{ userID: 'guest', userInfo: '{"nick":"g"}' }]);
    await guest.call('live_room', 'add_audience', { roomID: room, userInfo: '' });
    expect(await audiences()).toEqual([{ userID: 'guest', userInfo: '' }]);
    // A newcomer without userInfo gets an empty one.
    await host.call('live_room', 'add_audience', { roomID: room });
    expect(await audiences()).toContainEqual({ userID: 'host', userInfo: '' });
  });

  it("answers exitRoom's roomID \"\" as the old server did: delete_pusher 5, delete_audience 0 (HTTP 200)", async () => {
    const before = await stateSnapshot(h.rt, h.prefix);
    expect(codeOf(await guest.call('live_room', 'delete_pusher', { roomID: '' }))).toEqual([200, 5]);
    expect(codeOf(await guest.call('live_room', 'delete_audience', { roomID: '' }))).toEqual([200, 0]);
    expect(await stateSnapshot(h.rt, h.prefix)).toEqual(before);
    // Still a signed-in request, and other actions still want a room id.
    const stranger = await invoke('/weapp/live_room/delete_pusher', { query: { userID: 'guest', token: 'nope' }, body: { roomID: '' } });
    expect(codeOf(stranger)).toEqual([200, 7]);
    expect(codeOf(await guest.call('live_room', 'get_pushers', { roomID: '' }))).toEqual([400, 1]);
  });
});
