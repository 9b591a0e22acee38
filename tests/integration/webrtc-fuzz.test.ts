/**
 * Hostile input to the webrtc_room endpoints and the TRTC callback, on the
 * real Redis, with AUTH_MODE=off (every room action needs a proof) and a
 * TRTC callback key the generator never signs with: whatever arrives, every
 * answer is the JSON envelope below HTTP 500 with a string message, nothing
 * pollutes a prototype, no secret leaks, and the store is exactly as before.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEBRTC_ROOM } from '../../shared/config';
import { roomKeys } from '../../shared/rooms/keys';
import { CLOUD, invoke, signIn, startHarness, stateSnapshot, type Harness } from '../support/harness';

const NUM_RUNS = Number(process.env.WEBRTC_FUZZ_RUNS ?? 600);
const ACTIONS = ['get_login_info', 'get_room_list', 'create_room', 'enter_room', 'quit_room', 'heartbeat', 'get_room_members', 'nope'];
const FIELDS = ['userID', 'roomID', 'roomInfo', 'roomType', 'token', 'index', 'count', 'cnt', 'nickName', '__proto__', 'constructor', 'EventInfo', 'EventType', 'EventGroupId'];
const J = JSON.stringify;

let h: Harness;
let token = '';
beforeAll(async () => {
  h = await startHarness({ AUTH_MODE: 'off', TRTC_CALLBACK_KEY: 'fuzzKey0123456789' });
  // A member and a session the hostile requests may name but never prove.
  token = (await signIn('alice')).token;
  const seeded = await invoke('/weapp/webrtc_room/enter_room', { method: 'POST', body: { userID: 'alice', roomID: '4242', token } });
  if (seeded.body.code !== 0) throw new Error(JSON.stringify(seeded.body));
});
afterAll(async () => h?.close());

/** The generators, built once the seed's session token exists (near misses of it are among the hostile proofs). */
function hostileRequests(token: string) {
  // A near miss of the real token: the first character of its MAC changed.
  const mac = token.indexOf('.') + 1;
  const forged = token.slice(0, mac) + (token[mac] === 'A' ? 'B' : 'A') + token.slice(mac + 1);
  const value = fc.oneof(
    fc.constantFrom('"4242"', '4242', '"alice"', '"administrator"', '""', 'null', 'true', '[]', '{}', '1e309', '-1', '0', '4294967295', '"007"', '"a b"', '"\\u0000"', J('x'.repeat(1025)), '{"__proto__":{"polluted":"yes"}}', J(forged), '"Bearer x"'),
    fc.string({ maxLength: 40 }).map(J),
    fc.integer().map(String),
  );
  const body = fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.tuple(fc.constantFrom(...FIELDS), value), { maxLength: 6 }).map((entries) => `{${entries.map(([k, v]) => `${J(k)}:${v}`).join(',')}}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '"x"', '{"__proto__":{"polluted":"yes"}}', '['.repeat(5000) + ']'.repeat(5000)) },
  );
  const headers = fc.oneof(
    fc.constant({} as Record<string, string>),
    fc.constantFrom('Bearer x', `Bearer ${forged}`, 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.', 'Basic YTpi').map((authorization) => ({ authorization })),
    fc.base64String({ maxLength: 44 }).map((sign) => ({ sign })),
  );
  const request = fc.record({ callback: fc.boolean(), action: fc.constantFrom(...ACTIONS), body, headers, method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT') });
  return request;
}

describe('webrtc_room under hostile input', () => {
  it(`${NUM_RUNS} hostile requests: envelopes below 500, no pollution, no leak, state unchanged`, async () => {
    const before = await stateSnapshot(h.rt, h.prefix);
    const failures: string[] = [];
    const seen = new Set<string>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequests(token), async (r) => {
        const path = r.callback ? '/weapp/callbacks/trtc' : `/weapp/webrtc_room/${r.action}`;
        const answer = await invoke(path, { method: r.method, rawBody: r.body, headers: r.headers });
        const text = JSON.stringify(answer.body);
        runs++;
        seen.add(`${answer.status}/${answer.body.code}`);
        if (answer.status >= 500) failures.push(`${path} ${r.body.slice(0, 80)}: HTTP ${answer.status} ${text.slice(0, 200)}`);
        if (typeof answer.body.code !== 'number' || typeof answer.body.message !== 'string') failures.push(`${path}: not an envelope ${text.slice(0, 200)}`);
        if (answer.body.code === 0 && r.action !== 'nope' && !r.callback && r.action !== 'get_login_info') failures.push(`${path} ${r.body.slice(0, 80)}: succeeded without proof`);
        if (answer.body.privateMapKey !== undefined) failures.push(`${path}: a PrivateMapKey without proof`);
        for (const secret of [CLOUD.secretKey, CLOUD.cloudSecretKey, 'fuzzKey0123456789']) if (text.includes(secret)) failures.push(`${path}: leaked a secret`);
        if (({} as Record<string, unknown>).polluted !== undefined) failures.push('prototype polluted');
      }),
      { numRuns: NUM_RUNS, seed: 15 },
    );
    expect(failures.slice(0, 10)).toEqual([]);
    // The run reached every kind of refusal (so it is not vacuous): bad input, no proof, forged callback, unknown action, wrong method.
    expect(runs).toBeGreaterThanOrEqual(NUM_RUNS);
    for (const kind of ['400/1', '200/7', '403/7', '404/404', '405/405']) expect([...seen], kind).toContain(kind);
    expect(await h.rt.redis.hkeys(roomKeys(h.prefix, WEBRTC_ROOM, '4242').pushers)).toEqual(['alice']);
    expect(await stateSnapshot(h.rt, h.prefix)).toEqual(before);
  }, 120_000);
});
