/**
 * Hostile-input fuzzing of every route, through the router handler SCF runs.
 *
 * A fixed-seed fast-check property generates 10,000+ malformed or hostile
 * invocations: API Gateway, Function URL and console-shaped events plus plain
 * garbage; wrong methods; unknown room types and actions; bodies that are not
 * JSON, not objects, of the wrong types, huge (around and past the 64 KiB
 * cap), full of NUL/RTL/emoji, carrying `__proto__`/`constructor`/`prototype`
 * keys, or nested 10^4 deep; tokens that are missing, garbage, forged or real
 * but paired with the wrong user. A share of the requests carry the real
 * token of a signed-in user (so they pass authentication and reach the
 * validation and the room scripts), but each of those is hostile in a way
 * that must be refused: a body userID of someone else, a bad push URL, a
 * roomInfo over 1024 bytes, cnt 0/101/'x', operation 'mul', a full room, a
 * room the caller is not in or did not create, ...
 *
 * Property: every answer is a protocol envelope (HTTP < 500, JSON body with an
 * integer `code`, a non-empty `message` and a `requestId`), the handler never
 * rejects, no prototype gets polluted, no secret leaks, nothing hostile
 * succeeds, and the room/session state in Redis is byte-for-byte unchanged
 * (DUMP of every key, checked after each request and once more at the end).
 *
 * A handful of the same requests then go over real HTTP through the local
 * gateway (1 MB body -> 413, ...).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { Api as TlsSigApi } from 'tls-sig-api-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEndpoints, main_handler as route } from '../../functions/router';
import { MAX_BODY_BYTES, routeOf } from '../../shared/http/endpoint';
import { toHttpRequest } from '../../shared/http/event';
import { setLogSink } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import { startGateway, type Gateway } from '../../scripts/gateway';
import { CLOUD, deleteByPrefix, pushUrlFor, signIn, startHarness, stateKeys, testEnv, userSigFor, type Client, type Harness } from '../support/harness';
import { errorMessage } from '../../shared/errors';

// Every definition the router serves (it loads each at its route's first request).
const ENDPOINTS = await loadEndpoints();

const SEED = 20240611;
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
/** FUZZ_VERBOSE=1 prints every (kind -> status/code) outcome with its count. */
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

// ---------------------------------------------------------------------------
// The world the requests land in
// ---------------------------------------------------------------------------

const TYPES = ['double_room', 'multi_room', 'live_room'] as const;
type Type = (typeof TYPES)[number];

interface SeedRoom {
  type: Type;
  id: string;
  creator: string;
  members: string[];
  active: boolean;
  full: boolean;
  audience: string[];
}

/** Rooms the seed creates (capacities: double 2, multi 4, live 2 via LIVE_ROOM_MAX_MEMBERS). */
const ROOMS: SeedRoom[] = [
  { type: 'multi_room', id: 'fz-multi-full', creator: 'm1', members: ['m1', 'm2', 'm3', 'm4'], active: true, full: true, audience: [] },
  { type: 'multi_room', id: 'fz-multi-2', creator: 'm5', members: ['m5', 'm6'], active: true, full: false, audience: [] },
  { type: 'multi_room', id: 'fz-idle', creator: 'm1', members: [], active: false, full: false, audience: [] },
  { type: 'double_room', id: 'fz-double', creator: 'd1', members: ['d1', 'd2'], active: true, full: true, audience: [] },
  { type: 'live_room', id: 'fz-live', creator: 'l1', members: ['l1', 'l2'], active: true, full: true, audience: ['a1', 'a2', 'a3'] },
  { type: 'live_room', id: 'fz-live-idle', creator: 'l1', members: [], active: false, full: false, audience: [] },
];
const USERS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'd1', 'd2', 'l1', 'l2', 'a1', 'a2', 'a3', 'o1', 'o2'] as const;
const ALL_IDS = new Set(ROOMS.map((r) => r.id));
const roomsOf = (type: string) => ROOMS.filter((r) => r.type === type);

const SECRETS = [CLOUD.secretKey, CLOUD.pushSecretKey, CLOUD.cloudSecretKey, CLOUD.callbackKey];

const ROOM_ACTIONS = ENDPOINTS.filter((e) => e.scope === 'room').map((e) => e.action);
const UTILS_ACTIONS = ENDPOINTS.filter((e) => e.scope === 'utils').map((e) => e.action);
/** Room actions that change state when they succeed. */
const MUTATING = new Set(['login', 'logout', 'create_room', 'destroy_room', 'add_pusher', 'delete_pusher', 'pusher_heartbeat', 'set_custom_field', 'add_audience']);
const KNOWN_FIELDS = [
  'userID', 'roomID', 'roomInfo', 'userName', 'userAvatar', 'pushURL', 'index', 'cnt', 'fieldName', 'operation', 'value', 'userInfo',
  'mergeParams', 'sdkAppID', 'accountType', 'userSig', 'token',
];

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

/** A plain object whose keys are own data properties, `__proto__` included (as JSON.parse makes them). */
function own(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** JSON object text from already-encoded values: keeps duplicate and `__proto__` keys as written. */
const objectText = (entries: readonly (readonly [string, string])[]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
const arrayBomb = (n: number) => '['.repeat(n) + ']'.repeat(n);
const objectBomb = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const repeatBytes = (unit: string, bytes: number) => unit.repeat(Math.max(1, Math.ceil(bytes / Buffer.byteLength(unit))));

const SPECIAL_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', 'room\u0000', '\u202Eevil\u202C', '\u200F\u05E9\u05DC\u05D5\u05DD\u200E', '\u0645\u0631\u062D\u0628\u0627', '🙂', '👨‍👩‍👧‍👦',
  '\uD800', '\uDFFF', 'a\uD83D', '\uFEFF', '\u2028\u2029', '%00', '%ZZ', '%2e%2e%2f', '../../etc/passwd', '<script>alert(1)</script>',
  "'; DROP TABLE rooms; --", '${jndi:ldap://x/a}', '{{7*7}}', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  'null', 'undefined', 'NaN', 'Infinity', '-0', '1e308', 'true', '@TGS#abc', 'room_1\r\nSet-Cookie: x=1', '*', '\\', '"', '\n',
  'a'.repeat(33), 'a'.repeat(49), 'é'.repeat(513), '🙂'.repeat(257), 'x'.repeat(1025), 'fz-live', 'fz-multi-full', 'm1', 'o1', 'administrator',
];

const NUMBER_TEXTS = [
  '1e308', '-1e308', '1e309', '-1e309', '-0', '0', '-1', '0.5', '1.5e3', '9007199254740993', '1e-400', '101', '100', '1', '1000001',
  'NaN', 'Infinity', '-Infinity', '0x10', '01', '.5', '5.', '+1', '1_000',
  '"NaN"', '"1e308"', '"-0"', '"0"', '"101"', '"x"', '"1.5"', '" 5"', '"-1"', '"1e2"', '"٣"',
];

const PROTO_TEXTS = [
  '{"__proto__":{"polluted":"yes","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}}}',
  '{"__proto__":[1,2,3],"length":1e308}',
];

const bigString = fc
  .record({
    unit: fc.constantFrom('x', 'é', '🙂', '\u0000', '\u202E', '"'),
    bytes: fc.oneof(fc.integer({ min: 1000, max: 70_000 }), fc.constantFrom(256, 257, 1024, 1025, MAX_BODY_BYTES - 20, MAX_BODY_BYTES, MAX_BODY_BYTES + 1)),
  })
  .map(({ unit, bytes }) => repeatBytes(unit, bytes));

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 5, arbitrary: fc.constantFrom(...SPECIAL_STRINGS) },
  { weight: 1, arbitrary: bigString },
);

const bombText = fc.oneof(
  fc.constantFrom(100, 1000, 10_000).map(arrayBomb),
  fc.constantFrom(100, 1000, 10_000).map(objectBomb),
  fc.constant('['.repeat(10_000)), // unbalanced
  fc.constant(arrayBomb(40_000)), // past the cap
);

/** JSON text of one field value (sometimes not valid JSON). */
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: hostileString.map((s) => JSON.stringify(s)) },
  { weight: 4, arbitrary: fc.constantFrom(...NUMBER_TEXTS) },
  { weight: 2, arbitrary: fc.double().map((d) => JSON.stringify(d)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_TEXTS) },
  { weight: 2, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[null]', '{"":""}') },
  { weight: 1, arbitrary: bombText },
  { weight: 2, arbitrary: fc.constantFrom(...USERS, ...ALL_IDS).map((s) => JSON.stringify(s)) },
);

const noiseKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'valueOf', '__defineGetter__', 'hasOwnProperty', 'then', 'length') },
  { weight: 3, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: hostileString },
);

/** Unknown keys only: they must never change what a request does. */
const unknownEntries = fc.array(fc.tuple(noiseKey.filter((k) => !KNOWN_FIELDS.includes(k)), valueText), { maxLength: 4 });
/** Any keys, the protocol's field names with wrong-typed values included. */
const anyEntries = fc.array(fc.tuple(fc.oneof(noiseKey, fc.constantFrom(...KNOWN_FIELDS)), valueText), { maxLength: 6 });

const invalidJson = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '{', '}', "{'roomID':'x'}", '{"roomID":}', '{"a":1,}', '\uFEFF{}', 'undefined', 'NaN', '{"a":1}{"b":2}', '\u0000', ' {} x', '{"roomID":"fz-live"',
    '{"roomID":"\\ud800"}', '{"a":"\u0000"}', '[1,]', '"unterminated', '{"__proto__":}', '//{}', '/*x*/{}', '{"a":0x1}', '{"a":NaN}', '{"a":Infinity}',
  ),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? '').map((s) => s.slice(0, Math.max(0, s.length - 1))),
);

const jsonNonObject = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => JSON.stringify(v)),
  fc.constantFrom(...NUMBER_TEXTS),
  fc.constantFrom('null', 'true', '[]', '[{"roomID":"fz-live"}]', '"{\\"roomID\\":\\"fz-live\\"}"'),
);

/** A body of exactly `bytes` bytes: `{"roomID":"fz-multi-full","roomInfo":"xxx..."}`. */
function sizedBody(bytes: number, unit = 'x'): string {
  const head = '{"roomID":"fz-multi-full","roomInfo":"';
  const tail = '"}';
  let fill = repeatBytes(unit, bytes - head.length - tail.length);
  while (Buffer.byteLength(head + fill + tail) > bytes) fill = fill.slice(0, -1);
  return head + fill + 'x'.repeat(bytes - Buffer.byteLength(head + fill + tail)) + tail;
}

const hugeBody = fc.oneof(
  fc.constantFrom(MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, MAX_BODY_BYTES * 2).map((n) => sizedBody(n)),
  fc.constantFrom(MAX_BODY_BYTES, MAX_BODY_BYTES + 1).map((n) => sizedBody(n, '🙂')),
  bigString.map((s) => objectText([['roomID', '"fz-live"'], ['roomInfo', JSON.stringify(s)]])),
);

/** Any hostile body text. */
const bodyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: invalidJson },
  { weight: 2, arbitrary: jsonNonObject },
  { weight: 6, arbitrary: anyEntries.map(objectText) },
  { weight: 1, arbitrary: hugeBody },
  { weight: 1, arbitrary: bombText },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_TEXTS) },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '{}') },
);

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

const METHODS = ['POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'post', 'get', 'TRACE', 'CONNECT', '', 'P OST', '\u0000POST', 'POST\r\n', 'ＰＯＳＴ'];
const WEIRD_SEGMENTS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'getlogfile', '..', '.', '%2e%2e', '', ' ', 'MULTI_ROOM',
  'multi_room ', 'multi_room%00', 'multi_room\u0000', 'weapp', '\u202Emoor_itlum', '🙂', 'a'.repeat(300), 'login\u0000', 'Login', 'room', 'live_rooms',
];
const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...TYPES, 'utils') },
  { weight: 2, arbitrary: fc.constantFrom(...WEIRD_SEGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const actionSegment = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ROOM_ACTIONS, ...UTILS_ACTIONS) },
  { weight: 2, arbitrary: fc.constantFrom(...WEIRD_SEGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const pathPrefix = fc.constantFrom('', '', '', '/release', '/test/x', '/', 'x');
const pathSuffix = fc.constantFrom('', '', '', '/', '//', '?x=1', '#f', '/extra', '%20');

/** A route that exists (room action under a room type, utility under utils). */
const validRoute = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...TYPES), fc.constantFrom(...ROOM_ACTIONS)).map(([t, a]) => `/weapp/${t}/${a}`) },
  { weight: 1, arbitrary: fc.constantFrom(...UTILS_ACTIONS).map((a) => `/weapp/utils/${a}`) },
);

const anyPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(pathPrefix, validRoute, pathSuffix).map(([p, r, s]) => `${p}${r}${s}`) },
  { weight: 4, arbitrary: fc.tuple(pathPrefix, segment, actionSegment, pathSuffix).map(([p, t, a, s]) => `${p}/weapp/${t}/${a}${s}`) },
  { weight: 1, arbitrary: hostileString },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/', '', '/weapp', '/weapp/', '/weapp//login', 'weapp/multi_room/login', '/weapp/multi_room/../utils/check_config', '/a'.repeat(20_000),
      'weapp/'.repeat(10_000) + 'x/y', '/weapp/' + 'a/'.repeat(10_000), '/weapp/multi_room/login/'.repeat(100), '\\weapp\\multi_room\\login',
    ),
  },
);

/** How a request names its caller (query entries). */
interface Caller {
  query: [string, unknown][];
}

const fakeToken = fc
  .tuple(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 22, maxLength: 22 }), fc.string({ unit: fc.constantFrom(...'abcXYZ019-_'.split('')), minLength: 22, maxLength: 22 }))
  .map(([a, b]) => `${a}.${b}`);

interface World {
  tokens: Map<string, string>;
}

/** Callers that never authenticate (class A). */
function strangerCaller(world: World): fc.Arbitrary<Caller> {
  const users = fc.constantFrom(...USERS);
  const tamper = (t: string) =>
    fc.constantFrom(t + 'x', t.slice(0, -1), t.toUpperCase(), ` ${t}`, `${t}\u0000`, t.split('.').reverse().join('.'), t.replace('.', '..')).filter((x) => x !== t);
  return fc.oneof(
    fc.constant({ query: [] }),
    fc.tuple(users, hostileString).map(([u, t]) => ({ query: [['userID', u], ['token', t]] })),
    fc.tuple(users, fakeToken).map(([u, t]) => ({ query: [['userID', u], ['token', t]] })),
    // A real token presented for another user, or with the user missing / malformed.
    fc.tuple(users, users).filter(([a, b]) => a !== b).map(([a, b]) => ({ query: [['userID', b], ['token', world.tokens.get(a)!]] })),
    fc.tuple(hostileString, users).filter(([s, u]) => s !== u).map(([s, u]) => ({ query: [['userID', s], ['token', world.tokens.get(u)!]] })),
    users.map((u) => ({ query: [['token', world.tokens.get(u)!]] })),
    users.map((u) => ({ query: [['userID', u]] })),
    users.chain((u) => tamper(world.tokens.get(u)!).map((t) => ({ query: [['userID', u], ['token', t]] }))),
    fc.tuple(users, fc.constantFrom<unknown>(null, 1, true, {}, [], ['a', 'b'])).map(([u, t]) => ({ query: [['userID', u], ['token', t]] })),
  ) as fc.Arbitrary<Caller>;
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');

/** A zip bomb that fits the 2048-character UserSig limit: 1 MB of zeros deflated. */
const ZIP_BOMB = b64(deflateSync(Buffer.alloc(1024 * 1024), { level: 9 }));

/** login queries that must all fail (no valid sig for its own user ever appears). */
const loginQuery: fc.Arbitrary<[string, unknown][]> = fc
  .tuple(fc.constantFrom(...USERS, 'administrator', 'new_user'), fc.constantFrom(...USERS).map((u) => u + '_other'))
  .chain(([user, other]) =>
    fc.oneof(
      fc.constant([['sdkAppID', String(CLOUD.sdkAppId)], ['accountType', '0'], ['userID', user], ['userSig', userSigFor(other)]]),
      fc.constant([['sdkAppID', '1400000001'], ['accountType', '0'], ['userID', user], ['userSig', userSigFor(user)]]),
      fc.constant([['sdkAppID', String(CLOUD.sdkAppId)], ['userID', user], ['userSig', new TlsSigApi(CLOUD.sdkAppId, 'f'.repeat(64)).genUserSig(user, 3600)]]),
      fc.constant([['sdkAppID', String(CLOUD.sdkAppId)], ['userID', user], ['userSig', new TlsSigApi(CLOUD.sdkAppId, CLOUD.secretKey).genUserSig(user, -10)]]),
      fc.constant([['sdkAppID', String(CLOUD.sdkAppId)], ['userID', user], ['userSig', ZIP_BOMB]]),
      fc.constant([['sdkAppID', String(CLOUD.sdkAppId)], ['userID', user], ['userSig', b64(deflateSync(Buffer.from('{"TLS.identifier":' + JSON.stringify(user) + ',"__proto__":{"polluted":1}}')))]]),
      hostileString.map((sig) => [['sdkAppID', String(CLOUD.sdkAppId)], ['userID', user], ['userSig', sig]]),
      fc.tuple(hostileString, hostileString).map(([id, sig]) => [['sdkAppID', String(CLOUD.sdkAppId)], ['userID', id], ['userSig', sig]]),
      fc.constant([['userID', user]]),
      fc.constant([['sdkAppID', { a: 1 }], ['userID', [user]], ['userSig', null]]),
    ) as fc.Arbitrary<[string, unknown][]>,
  );

const queryNoise = fc.array(fc.tuple(noiseKey.filter((k) => k !== 'userID' && k !== 'token' && k !== 'userSig' && k !== 'sdkAppID'), fc.oneof(hostileString, fc.constantFrom<unknown>(1, true, null, {}, []))), { maxLength: 3 });

const headersArb = fc.oneof(
  fc.constant<unknown>({ 'content-type': 'application/json' }),
  fc.constant<unknown>(null),
  fc.constant<unknown>(undefined),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom('Origin', 'origin', 'Content-Type', 'X-Api-RequestId', 'x-scf-remote-addr', 'Authorization', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), fc.oneof(hostileString, fc.constantFrom<unknown>(1, null, {}, ['a']))), { maxLength: 5 })
    .map((entries) => own(entries)),
);

interface Delivery {
  shape: 'api-gateway' | 'function-url' | 'console';
  method: unknown;
  path: string;
  query: [string, unknown][];
  body: string | undefined;
  /** API Gateway path parameters; only consistent ones for authenticated requests. */
  pathParams?: unknown;
}

/** Wraps a request in one of the three event shapes, with their optional quirks. */
function eventFor(d: Delivery): fc.Arbitrary<unknown> {
  const query = own(d.query);
  const asObject = (() => {
    if (d.body === undefined) return undefined;
    try {
      return JSON.parse(d.body) as unknown;
    } catch {
      return d.body;
    }
  })();
  const bodyVariant = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ body: d.body as unknown, isBase64Encoded: false as unknown }) },
    { weight: 1, arbitrary: fc.constant({ body: d.body === undefined ? undefined : Buffer.from(d.body).toString('base64'), isBase64Encoded: true as unknown }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(true, 'true', 1, null).map((flag) => ({ body: d.body as unknown, isBase64Encoded: flag })) },
  );
  switch (d.shape) {
    case 'api-gateway':
      return fc
        .tuple(bodyVariant, headersArb, fc.constantFrom<unknown>('127.0.0.1', '::1', 'not an ip', '1.2.3.4:80', '', undefined, 42, 'a'.repeat(50), '0:0:0:0:0:0:0:1'), fc.oneof(fc.constant<unknown>(undefined), hostileString))
        .map(([b, headers, sourceIp, requestId]) =>
          own([
            ['httpMethod', d.method],
            ['path', d.path],
            ['headers', headers],
            ['queryStringParameters', query],
            ['pathParameters', d.pathParams ?? {}],
            ['body', b.body],
            ['isBase64Encoded', b.isBase64Encoded],
            ['requestContext', own([['requestId', requestId], ['sourceIp', sourceIp], ['stage', 'release']])],
          ]),
        );
    case 'function-url':
      return fc.tuple(bodyVariant, headersArb).map(([b, headers]) =>
        own([
          ['httpMethod', d.method],
          ['path', d.path],
          ['headers', headers],
          ['queryString', query],
          ['body', b.body],
          ['isBase64Encoded', b.isBase64Encoded],
        ]),
      );
    case 'console':
      return fc.tuple(fc.boolean(), fc.boolean(), headersArb).map(([bodyAsObject, withMethod, headers]) =>
        own([
          ['path', d.path],
          ...(withMethod ? [['method', d.method] as const] : []),
          ['query', query],
          ['body', bodyAsObject ? asObject : d.body],
          ...(headers === undefined ? [] : [['headers', headers] as const]),
        ]),
      );
  }
}

const shapeArb = fc.constantFrom<Delivery['shape']>('api-gateway', 'api-gateway', 'function-url', 'console');

const garbageEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, undefined, 0, -0, NaN, 1e308, '', 'POST /weapp/multi_room/login', true, [], [null], {}, Symbol.for('x') as unknown),
  fc.anything({ maxDepth: 3 }),
  fc.object({ maxDepth: 2 }),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 4 }),
  fc.constantFrom(...PROTO_TEXTS).map((t) => JSON.parse(t) as unknown),
  fc.tuple(fc.constantFrom<unknown>(1, null, {}, ['POST'], true), anyPath).map(([m, p]) => ({ httpMethod: m, path: p, body: '{}' })),
  fc.tuple(anyPath, hostileString).map(([p, k]) => own([['path', p], ['body', '{}'], [k || 'x', 1]])),
  fc.constant<unknown>(JSON.parse('{"path":"/weapp/multi_room/get_pushers","__proto__":{"httpMethod":"POST"}}')),
  fc.constant<unknown>({ queryString: { userID: 'm1' }, path: '/weapp/multi_room/get_pushers' }),
);

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

interface FuzzCase {
  kind: string;
  event: unknown;
  context?: unknown;
  /** A success (code 0) would be a failure: hostile mutating request. */
  mustFail: boolean;
}

/** Class A: anything, from callers that never authenticate. */
function strangerCase(world: World): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      shape: shapeArb,
      method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('POST', 'GET') }, { weight: 2, arbitrary: fc.constantFrom(...METHODS) }),
      path: anyPath,
      login: fc.boolean(),
      caller: strangerCaller(world),
      loginQ: loginQuery,
      noise: queryNoise,
      body: fc.option(bodyText, { freq: 8 }),
      pathParams: fc.oneof(
        { weight: 4, arbitrary: fc.constant<unknown>(undefined) },
        { weight: 1, arbitrary: fc.tuple(segment, actionSegment).map(([t, a]) => own([['roomType', t], ['action', a]])) },
        { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'x', [], { roomType: 1 }, JSON.parse('{"__proto__":{"action":"login"}}')) },
      ),
    })
    .chain((r) => {
      const query = [...r.noise, ...(r.login ? r.loginQ : r.caller.query)] as [string, unknown][];
      const d: Delivery = { shape: r.shape, method: r.method, path: r.path, query, body: r.body ?? undefined, pathParams: r.pathParams };
      return eventFor(d).map((event) => ({ kind: `stranger/${r.shape}`, event, mustFail: true }));
    });
}

type Entries = [string, string][];
const J = (v: unknown) => JSON.stringify(v);

const INVALID_ROOM_IDS = ['""', '"@TGS#1"', J('a'.repeat(49)), '"a b"', '"a/b"', '"é"', '123', 'null', '{}', '[]', '"\\u0000"', 'true', '"room\\n"', '"🙂"', '"__proto__ x"'];
const INVALID_USER_IDS = ['123', 'null', '{}', '[]', '""', '"a b"', J('a'.repeat(33)), '"🙂"', 'true', '"\\u0000"', '"m1\\u0000"'];
const LONG_ROOM_INFOS = [J('x'.repeat(1025)), J('é'.repeat(513)), J('🙂'.repeat(257)), J('\u0000'.repeat(1025))];
const BAD_CNTS = ['0', '101', '"x"', '-1', '1.5', '"1e3"', '"0"', '"101"', 'null', '[]', '1e308', '"-1"', '{}', '"NaN"', 'true'];
const BAD_INDEXES = ['-1', '"abc"', '1000001', '1e308', '0.5', '"-0"', '[]'];
const BAD_OPS = ['"mul"', '"INC"', '""', '1', 'null', '"inc "', '"__proto__"', '["inc"]', '{"inc":1}', '"dec\\u0000"'];
const BAD_FIELDS = ['""', J('a'.repeat(65)), '"a b"', '"a/b"', '"🙂"', '1', 'null', '{}', '"likes\\u0000"'];
const BAD_VALUES = ['{}', '[]', '[1]', J('v'.repeat(257)), 'true', 'null', '1e309', '-1e309', '{"__proto__":{"polluted":1}}'];
const MERGE_PARAMS = ['"not json"', '"[1,2]"', J(J({ a: 1 })), '{}', '{"__proto__":{"polluted":"yes"}}', '[]', '1', 'null', '""', J('{"a":'), '"\\u0000"'];

/**
 * The body of an authenticated request that must change nothing: the hostile
 * core (last, so duplicate keys cannot override it) after unknown noise keys.
 * Returns JSON-text entries; `readOnly` marks endpoints that may succeed.
 */
function hostileCore(type: string, action: string, user: string): fc.Arbitrary<{ entries: Entries; readOnly: boolean; label: string }> {
  const others = USERS.filter((u) => u !== user);
  const here = roomsOf(type);
  const missingIds = [...ALL_IDS].filter((id) => !here.some((r) => r.id === id)).concat(['fz-missing', 'room_deadbeef_0000']);
  const randomMissing = fc.stringMatching(/^[A-Za-z0-9_@.:-]{1,48}$/).filter((id) => !ALL_IDS.has(id) && !id.startsWith('@TGS#'));
  const missingRoom = fc.oneof(fc.constantFrom(...missingIds), randomMissing).map(J);
  const anyRoom = fc.oneof(missingRoom, fc.constantFrom(...INVALID_ROOM_IDS), ...(here.length ? [fc.constantFrom(...here.map((r) => J(r.id)))] : []));
  const notMemberRooms = here.filter((r) => !r.members.includes(user)).map((r) => J(r.id));
  const notCreatorRooms = here.filter((r) => r.creator !== user).map((r) => J(r.id));
  const fullForeign = here.filter((r) => r.full && !r.members.includes(user)).map((r) => J(r.id));
  const optionalOwnUser = fc.constantFrom<Entries>([], [['userID', J(user)]]);
  const pick = <T,>(xs: T[]) => fc.constantFrom(...xs);
  const core = (label: string, readOnly: boolean, arb: fc.Arbitrary<Entries>) => arb.map((entries) => ({ entries, readOnly, label }));

  const validRoom = fc.oneof(missingRoom, ...(here.length ? [fc.constantFrom(...here.map((r) => J(r.id)))] : []));
  const extra = fc.oneof(fc.constant<Entries>([]), anyEntries as fc.Arbitrary<Entries>);
  const universal = [
    core('userID-of-another', false, fc.tuple(extra, validRoom, pick(others)).map(([more, r, o]) => [...more, ['roomID', r], ['userID', J(o)]])),
    core('userID-wrong-type', false, fc.tuple(extra, validRoom, pick(INVALID_USER_IDS)).map(([more, r, v]) => [...more, ['roomID', r], ['userID', v]])),
  ];
  if (!(TYPES as readonly string[]).includes(type) || (LIVE_ONLY.includes(action) && type !== 'live_room') || !ROOM_ACTIONS.includes(action)) {
    // Answered 404 before the body is read: any body at all.
    return fc.oneof(...universal, core('unrouted', false, anyEntries as fc.Arbitrary<Entries>));
  }
  const specific: fc.Arbitrary<{ entries: Entries; readOnly: boolean; label: string }>[] = [];
  const pushUrl = fc.constantFrom(pushUrlFor(user), pushUrlFor(others[0]!), pushUrlFor(user, 'ffff'));
  switch (action) {
    case 'get_push_url':
    case 'get_pushers':
    case 'get_custom_info':
    case 'get_audiences':
      specific.push(core('read', true, fc.tuple(optionalOwnUser, anyRoom).map(([u, r]) => [...u, ['roomID', r]])));
      break;
    case 'get_room_list':
      specific.push(
        core('read', true, fc.tuple(optionalOwnUser, fc.constantFrom('0', '1', '"2"', '100', '0.0'), fc.constantFrom('1', '20', '"5"', '100')).map(([u, i, c]) => [...u, ['index', i], ['cnt', c]])),
        core('bad-cnt', true, fc.tuple(optionalOwnUser, pick(BAD_CNTS)).map(([u, c]) => [...u, ['cnt', c]])),
        core('bad-index', true, fc.tuple(optionalOwnUser, pick(BAD_INDEXES)).map(([u, i]) => [...u, ['index', i]])),
      );
      break;
    case 'merge_stream':
      specific.push(
        core('merge', true, fc.tuple(optionalOwnUser, fc.oneof(anyRoom, fc.constant('"fz-live"')), pick(MERGE_PARAMS)).map(([u, r, m]) => [...u, ['roomID', r], ['mergeParams', m]])),
        // Nested 10^4 deep, by a signed-in user, in a live room: reaches the live API call.
        core('merge-bomb', true, fc.tuple(optionalOwnUser, fc.constantFrom(objectBomb(10_000), arrayBomb(10_000), J(objectBomb(10_000)))).map(([u, m]) => [...u, ['roomID', '"fz-live"'], ['mergeParams', m]])),
      );
      break;
    case 'create_room':
      specific.push(
        core('roomInfo-too-long', false, fc.tuple(optionalOwnUser, pick(LONG_ROOM_INFOS), fc.option(anyRoom)).map(([u, info, r]) => [...u, ...(r ? [['roomID', r] as [string, string]] : []), ['roomInfo', info]])),
        core('roomID-invalid', false, fc.tuple(optionalOwnUser, pick(INVALID_ROOM_IDS)).map(([u, r]) => [...u, ['roomInfo', '"x"'], ['roomID', r]])),
        core('roomID-exists', false, fc.tuple(optionalOwnUser, pick(here.map((r) => J(r.id)))).map(([u, r]) => [...u, ['roomInfo', '"again"'], ['roomID', r]])),
      );
      break;
    case 'destroy_room':
      specific.push(core('destroy-not-creator', false, fc.tuple(optionalOwnUser, fc.oneof(missingRoom, pick(INVALID_ROOM_IDS), ...(notCreatorRooms.length ? [pick(notCreatorRooms)] : []))).map(([u, r]) => [...u, ['roomID', r]])));
      break;
    case 'delete_pusher':
    case 'pusher_heartbeat':
      specific.push(core('not-a-member', false, fc.tuple(optionalOwnUser, fc.oneof(missingRoom, pick(INVALID_ROOM_IDS), ...(notMemberRooms.length ? [pick(notMemberRooms)] : []))).map(([u, r]) => [...u, ['roomID', r]])));
      break;
    case 'add_pusher': {
      const badPushUrl = fc.oneof(
        hostileString.map(J),
        fc.constantFrom('null', '1', '{}', '[]', 'true'),
        fc.constantFrom(
          J(`rtmp://${CLOUD.bizid}.livepush.myqcloud.com/live/${CLOUD.bizid}_${user}_ab12`),
          J(pushUrlFor(user).replace(`${CLOUD.bizid}_`, '9999_')),
          J(pushUrlFor(user).replace(/txSecret=([0-9a-f])/, (_m, c: string) => `txSecret=${c === '0' ? '1' : '0'}`)),
          J(pushUrlFor(user).replace(/txTime=([0-9A-F]+)/, (_m, t: string) => `txTime=${(parseInt(t, 16) + 1).toString(16).toUpperCase()}`)),
          J(pushUrlFor(user).replace(/txTime=[0-9A-F]+/, 'txTime=ZZ')),
          J(pushUrlFor(user).replace('rtmp://', 'http://')),
          J(pushUrlFor(user).replace(`/live/${CLOUD.bizid}_${user}_ab12`, `/live/${CLOUD.bizid}_a%2Fb`)),
          J(pushUrlFor(user).replace(`${CLOUD.bizid}_${user}_ab12`, `${CLOUD.bizid}_`)),
          J(pushUrlFor(user).replace(`${CLOUD.bizid}_${user}_ab12`, `${CLOUD.bizid}_../x`)),
          J(`rtmp://x/live/${CLOUD.bizid}_u?txSecret=&txTime=`),
          J(pushUrlFor(user) + '&'.repeat(1100)),
          J(`rtmp://h/live/${CLOUD.bizid}_\u0000?txSecret=a&txTime=1`),
        ),
      );
      specific.push(
        core('bad-pushURL', false, fc.tuple(optionalOwnUser, anyRoom, badPushUrl).map(([u, r, p]) => [...u, ['roomID', r], ['pushURL', p]])),
        core('roomInfo-too-long', false, fc.tuple(optionalOwnUser, anyRoom, pushUrl, pick(LONG_ROOM_INFOS)).map(([u, r, p, i]) => [...u, ['roomID', r], ['pushURL', J(p)], ['roomInfo', i]])),
        core('userName-too-long', false, fc.tuple(optionalOwnUser, anyRoom, pushUrl, fc.constantFrom(['userName', J('n'.repeat(257))], ['userName', J('🙂'.repeat(65))], ['userAvatar', J('a'.repeat(1025))], ['userName', '7'], ['userAvatar', '{}'])).map(([u, r, p, f]) => [...u, ['roomID', r], ['pushURL', J(p)], f as [string, string]])),
        core('roomID-invalid', false, fc.tuple(optionalOwnUser, pick(INVALID_ROOM_IDS), pushUrl).map(([u, r, p]) => [...u, ['roomID', r], ['pushURL', J(p)]])),
      );
      if (fullForeign.length) specific.push(core('room-full', false, fc.tuple(optionalOwnUser, pick(fullForeign), pushUrl).map(([u, r, p]) => [...u, ['roomID', r], ['pushURL', J(p)], ['userName', '"intruder"']])));
      break;
    }
    case 'set_custom_field':
      specific.push(
        core('bad-operation', false, fc.tuple(optionalOwnUser, anyRoom, pick(BAD_OPS)).map(([u, r, op]) => [...u, ['roomID', r], ['fieldName', '"likes"'], ['value', '1'], ['operation', op]])),
        core('bad-fieldName', false, fc.tuple(optionalOwnUser, anyRoom, pick(BAD_FIELDS), fc.constantFrom('"inc"', '"dec"', '"set"')).map(([u, r, f, op]) => [...u, ['roomID', r], ['value', '1'], ['operation', op], ['fieldName', f]])),
        core('set-without-value', false, fc.tuple(optionalOwnUser, anyRoom).map(([u, r]) => [...u, ['roomID', r], ['fieldName', '"likes"'], ['operation', '"set"']])),
        core('bad-value', false, fc.tuple(optionalOwnUser, anyRoom, pick(BAD_VALUES)).map(([u, r, v]) => [...u, ['roomID', r], ['fieldName', '"likes"'], ['operation', '"set"'], ['value', v]])),
        core('no-such-room', false, fc.tuple(optionalOwnUser, fc.oneof(missingRoom, fc.constant('"fz-live-idle"')), fc.constantFrom('"inc"', '"dec"', '"set"')).map(([u, r, op]) => [...u, ['roomID', r], ['fieldName', '"likes"'], ['operation', op], ['value', '"v"']])),
        core('not-an-integer', false, fc.tuple(optionalOwnUser, fc.constantFrom('"inc"', '"dec"')).map(([u, op]) => [...u, ['roomID', '"fz-live"'], ['fieldName', '"title"'], ['operation', op]])),
      );
      break;
    case 'add_audience': {
      const audienceRooms = here.filter((r) => r.active && !r.audience.includes(user) && r.audience.length >= 3).map((r) => J(r.id));
      specific.push(
        core('no-such-room', false, fc.tuple(optionalOwnUser, fc.oneof(missingRoom, pick(INVALID_ROOM_IDS), fc.constant('"fz-live-idle"'))).map(([u, r]) => [...u, ['roomID', r], ['userInfo', '"x"']])),
        core('userInfo-bad', false, fc.tuple(optionalOwnUser, anyRoom, fc.constantFrom(J('i'.repeat(1025)), J('🙂'.repeat(257)), '{}', '1', '[]', 'null')).map(([u, r, i]) => [...u, ['roomID', r], ['userInfo', i]])),
      );
      if (audienceRooms.length) specific.push(core('audience-full', false, fc.tuple(optionalOwnUser, pick(audienceRooms)).map(([u, r]) => [...u, ['roomID', r], ['userInfo', '"late"']])));
      break;
    }
    case 'delete_audience': {
      // Leaving an audience one is not in changes nothing (code 0 or 3).
      const notIn = here.filter((r) => !r.audience.includes(user)).map((r) => J(r.id));
      specific.push(core('not-in-audience', true, fc.tuple(optionalOwnUser, fc.oneof(missingRoom, pick(INVALID_ROOM_IDS), ...(notIn.length ? [pick(notIn)] : []))).map(([u, r]) => [...u, ['roomID', r]])));
      break;
    }
    default:
      // login / logout: only a mismatched or malformed body userID is safe here.
      break;
  }
  return fc.oneof(...universal.map((arbitrary) => ({ weight: 1, arbitrary })), ...specific.map((arbitrary) => ({ weight: 3, arbitrary })));
}

const LIVE_ONLY = ['merge_stream', 'get_custom_info', 'set_custom_field', 'add_audience', 'delete_audience', 'get_audiences'];

/** Class B: a real signed-in user (right userID + token), a hostile body. */
function memberCase(world: World): fc.Arbitrary<FuzzCase> {
  const actionThenType = fc
    .oneof({ weight: 12, arbitrary: fc.constantFrom(...ROOM_ACTIONS) }, { weight: 1, arbitrary: actionSegment })
    .chain((action) =>
      fc
        .oneof(
          { weight: LIVE_ONLY.includes(action) ? 12 : 0, arbitrary: fc.constant<string>('live_room') },
          { weight: 8, arbitrary: fc.constantFrom<string>(...TYPES) },
          { weight: 1, arbitrary: segment },
        )
        .map((type) => ({ action, type })),
    );
  return fc
    .record({
      user: fc.constantFrom(...USERS),
      route: actionThenType,
      shape: shapeArb,
      method: fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
      prefix: fc.constantFrom('', '', '', '/release'),
      suffix: fc.constantFrom('', '', '', '/'),
      pathParams: fc.boolean(),
      noise: queryNoise,
    })
    .chain((r) =>
      fc.tuple(hostileCore(r.route.type, r.route.action, r.user), unknownEntries).chain(([core, noise]) => {
        const { type, action } = r.route;
        const query: [string, unknown][] = [...r.noise, ['userID', r.user], ['token', world.tokens.get(r.user)!]];
        const d: Delivery = {
          shape: r.shape,
          method: r.method,
          path: `${r.prefix}/weapp/${type}/${action}${r.suffix}`,
          query,
          body: objectText([...(noise as Entries), ...core.entries]),
          pathParams: r.pathParams ? { roomType: type, action } : undefined,
        };
        const mutating = MUTATING.has(action) && !core.readOnly;
        return eventFor(d).map((event) => ({ kind: `member/${action}/${core.label}`, event, mustFail: mutating }));
      }),
    );
}

const contextArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant<unknown>(undefined) },
  { weight: 2, arbitrary: fc.constant<unknown>({}) },
  // The platform always sets a request id; its content is not the caller's to choose, but keep it odd.
  { weight: 1, arbitrary: hostileString.filter((id) => id.length > 0).map((id) => ({ request_id: id, function_name: 'router' })) },
);

function fuzzCase(world: World): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.oneof({ weight: 5, arbitrary: strangerCase(world) }, { weight: 4, arbitrary: memberCase(world) }, { weight: 1, arbitrary: garbageEvent.map((event) => ({ kind: 'garbage', event, mustFail: true })) }),
      contextArb,
    )
    .map(([c, context]) => ({ ...c, context }));
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

async function dumpAll(rt: Runtime, keys: string[]): Promise<string[]> {
  // One command per key (auto-pipelined per node): a pipeline may not span slots on a cluster.
  return Promise.all(
    keys.map((key) =>
      rt.redis.dumpBuffer(key).then(
        (value) => (value === null ? 'missing' : value.toString('hex')),
        (error: Error) => `error:${error.message}`,
      ),
    ),
  );
}

function protoFingerprint(): string {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype]
    .map((p) => Object.getOwnPropertyNames(p).sort().join(','))
    .join('|');
}

/** Depth-limited copy for printing (events may nest 10^4 deep). */
function shallow(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 60)}…(${value.length} chars)` : value;
  if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return value.slice(0, 10).map((v) => shallow(v, depth + 1));
  return own(Object.entries(value).slice(0, 20).map(([k, v]) => [k, shallow(v, depth + 1)] as const));
}

const short = (value: unknown, max = 600): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(shallow(value)) ?? String(value));
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

interface Problem {
  reason: string;
  kind: string;
  event: string;
  answer: string;
}

/** Utility routes need no session and may answer success to anyone. */
function routedToUtils(event: unknown): boolean {
  try {
    return routeOf(toHttpRequest(event)).group === 'utils';
  } catch {
    return false;
  }
}

/** The envelope checks; answers the first violation, if any. */
function envelopeProblem(answer: unknown, fuzz: FuzzCase): string | undefined {
  if (answer === null || typeof answer !== 'object') return 'answer is not an object';
  const res = answer as { statusCode?: unknown; body?: unknown; headers?: unknown };
  if (typeof res.statusCode !== 'number' || !Number.isInteger(res.statusCode)) return 'statusCode is not an integer';
  if (res.statusCode >= 500) return `HTTP ${res.statusCode}`;
  if (res.statusCode < 200) return `HTTP ${res.statusCode}`;
  if (res.headers === null || typeof res.headers !== 'object') return 'headers missing';
  for (const [k, v] of Object.entries(res.headers)) if (typeof v !== 'string') return `header ${k} is not a string`;
  if (typeof res.body !== 'string') return 'body is not a string';
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'body is not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'body is not a JSON object';
  const { code, message, requestId } = body as Record<string, unknown>;
  if (typeof code !== 'number' || !Number.isInteger(code)) return 'code is not an integer';
  if (typeof message !== 'string' || message.length === 0) return 'message is not a non-empty string';
  if (typeof requestId !== 'string' || requestId.length === 0) return 'requestId missing';
  if (res.statusCode >= 400 && code === 0) return `HTTP ${res.statusCode} with code 0`;
  for (const secret of SECRETS) if (res.body.includes(secret)) return 'a secret key leaked into the answer';
  const preflight = res.statusCode === 204;
  if (fuzz.mustFail && code === 0 && !preflight && !routedToUtils(fuzz.event)) return 'hostile request succeeded';
  return undefined;
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

let h: Harness;
const internalErrors: string[] = [];
const world: World = { tokens: new Map() };

beforeAll(async () => {
  h = await startHarness({
    // Nothing may expire while the fuzzer runs: seats, idle rooms, key backstops.
    HEARTBEAT_TIMEOUT: '3600',
    ROOM_IDLE_TIMEOUT: '3600',
    LIVE_ROOM_MAX_MEMBERS: '2',
    LIVE_ROOM_MAX_AUDIENCES: '3',
  });
  setLogSink((line) => {
    if (line.includes('"internal_error"') || line.includes('"config_error"')) internalErrors.push(line.slice(0, 2000));
  });
  const clients = new Map<string, Client>();
  for (const user of USERS) {
    const client = await signIn(user);
    clients.set(user, client);
    world.tokens.set(user, client.token);
  }
  const ok = (answer: { body: { code: number } }, what: string) => {
    if (answer.body.code !== 0) throw new Error(`seeding ${what} failed: ${JSON.stringify(answer.body)}`);
  };
  for (const room of ROOMS) {
    const creator = clients.get(room.creator)!;
    if (!room.active) {
      ok(await creator.call(room.type, 'create_room', { roomID: room.id, roomInfo: `idle ${room.id}` }), room.id);
      continue;
    }
    for (const member of room.members) {
      const c = clients.get(member)!;
      ok(await c.call(room.type, 'add_pusher', { roomID: room.id, userName: member, userAvatar: `https://a/${member}.png`, pushURL: pushUrlFor(member), roomInfo: `info ${room.id}` }), `${room.id}/${member}`);
    }
    for (const viewer of room.audience) ok(await clients.get(viewer)!.call(room.type, 'add_audience', { roomID: room.id, userInfo: `{"nick":"${viewer}"}` }), `${room.id}/audience`);
  }
  const l1 = clients.get('l1')!;
  ok(await l1.call('live_room', 'set_custom_field', { roomID: 'fz-live', fieldName: 'likes', operation: 'inc' }), 'likes');
  ok(await l1.call('live_room', 'set_custom_field', { roomID: 'fz-live', fieldName: 'likes', operation: 'inc' }), 'likes');
  ok(await l1.call('live_room', 'set_custom_field', { roomID: 'fz-live', fieldName: 'title', operation: 'set', value: 'hello' }), 'title');
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('fuzz: hostile requests through the router', () => {
  it(`answers ${NUM_RUNS} generated hostile requests with envelopes and changes nothing`, async () => {
    const rt = h.rt;
    const keysBefore = await stateKeys(rt, h.prefix);
    expect(keysBefore.length).toBeGreaterThan(20);
    let baseline = await dumpAll(rt, keysBefore);
    const protoBefore = protoFingerprint();
    const problems: Problem[] = [];
    const codes = new Map<number, number>();
    const kinds = new Map<string, number>();
    let runs = 0;
    let authenticated = 0;
    const outcomes = new Map<string, number>();
    let slowest = { ms: 0, kind: '' };

    await fc.assert(
      fc.asyncProperty(fuzzCase(world), async (fuzz) => {
        runs++;
        const top = fuzz.kind.split('/')[0]!;
        kinds.set(top, (kinds.get(top) ?? 0) + 1);
        const report = (reason: string, answer: unknown) =>
          problems.push({ reason, kind: fuzz.kind, event: short(fuzz.event), answer: short((answer as { statusCode?: number; body?: unknown } | undefined)?.body ?? answer) });
        const started = performance.now();
        let answer: unknown;
        try {
          answer = await route(fuzz.event, fuzz.context as never);
        } catch (error) {
          report(`handler rejected: ${errorMessage(error)}`, undefined);
          return true;
        }
        const ms = performance.now() - started;
        if (ms > slowest.ms) slowest = { ms, kind: fuzz.kind };
        const problem = envelopeProblem(answer, fuzz);
        if (problem) report(problem, answer);
        else {
          const code = (JSON.parse((answer as { body: string }).body) as { code: number }).code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
          if (VERBOSE) {
            const key = `${fuzz.kind} -> ${(answer as { statusCode: number }).statusCode}/${code}`;
            outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
          }
          // Past authentication: the store or a validation behind it answered.
          if (top === 'member' && ![7, 404, 405, 413].includes(code) && (answer as { statusCode: number }).statusCode === 200) authenticated++;
        }
        if (protoFingerprint() !== protoBefore || ({} as Record<string, unknown>).polluted !== undefined) report('prototype polluted', answer);
        // Only a signed-in caller can reach a write: check after each of those, and every 100 requests.
        if (top !== 'member' && runs % 100 !== 0) return true;
        const now = await dumpAll(rt, keysBefore);
        const changed = keysBefore.filter((_k, i) => now[i] !== baseline[i]);
        if (changed.length > 0) {
          report(`state changed: ${changed.join(', ')}`, answer);
          baseline = now; // attribute later changes to their own requests
        }
        return true;
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
    );

    // After the run: nothing polluted, no key added, removed or altered.
    const probe = {} as Record<string, unknown>;
    const pollution = [probe.polluted, probe.isAdmin, ([] as unknown as Record<string, unknown>).polluted, (Object as unknown as Record<string, unknown>).polluted];
    const keysAfter = await stateKeys(rt, h.prefix);
    const finalDump = await dumpAll(rt, keysAfter);
    const initialDump = await dumpAll(rt, keysBefore);

    const byReason = new Map<string, Problem[]>();
    for (const p of problems) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p]);
    const summary = [...byReason.entries()].map(([reason, list]) => `  ${list.length} x ${reason}\n    e.g. [${list[0]!.kind}] ${list[0]!.event}\n    -> ${list[0]!.answer}`);
    console.log(
      `fuzz: ${runs} requests, ${problems.length} failures, ${codes.size} distinct codes ` +
        `(${[...codes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}:${n}`).join(' ')}); ` +
        `classes ${[...kinds.entries()].sort().map(([k, n]) => `${k}=${n}`).join(' ')} (${authenticated} passed auth); slowest ${slowest.ms.toFixed(1)} ms (${slowest.kind})` +
        (summary.length ? `\n${summary.join('\n')}` : '') +
        (internalErrors.length ? `\ninternal errors logged: ${internalErrors.length}, first: ${internalErrors[0]}` : ''),
    );

    if (VERBOSE) console.log([...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}\t${k}`).join('\n'));
    expect(runs).toBeGreaterThanOrEqual(NUM_RUNS);
    expect(pollution).toEqual([undefined, undefined, undefined, undefined]);
    expect(protoFingerprint()).toBe(protoBefore);
    expect(keysAfter).toEqual(keysBefore);
    expect(finalDump).toEqual(initialDump);
    expect(summary, 'failures by reason').toEqual([]);
    expect(codes.size).toBeGreaterThanOrEqual(8);
    expect(slowest.ms).toBeLessThan(3000);
  }, 120_000);
});

// ---------------------------------------------------------------------------
// The same kind of requests over real HTTP
// ---------------------------------------------------------------------------

interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

function send(gw: Gateway, method: string, path: string, body?: string | Buffer, options: { chunked?: boolean; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const { port } = gw.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (body !== undefined && !options.chunked) headers['content-length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new Error(`${method} ${path}: HTTP ${res.statusCode} with a non-JSON body: ${text.slice(0, 200)}`));
        }
      });
    });
    req.setTimeout(options.timeoutMs ?? 5000, () => req.destroy(new Error(`${method} ${path}: no answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    if (body !== undefined && options.chunked) {
      // Stream it in 64 KiB pieces without a length, as a streaming client would.
      const buf = Buffer.from(body);
      for (let i = 0; i < buf.length; i += 65536) req.write(buf.subarray(i, i + 65536));
    } else if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('fuzz: hostile requests over real HTTP (local gateway)', () => {
  let gw: Gateway;
  const prefix = `test-fzgw-${Math.random().toString(16).slice(2, 8)}`;
  let auth = '';
  let before: { keys: string[]; dump: string[] };

  beforeAll(async () => {
    gw = await startGateway({ env: testEnv(h.fake, prefix), port: 0, sweepIntervalMs: 0, quiet: true });
    const login = await send(gw, 'POST', `/weapp/multi_room/login?${new URLSearchParams({ sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'gw1', userSig: userSigFor('gw1') })}`, '{}');
    expect(login.body.code).toBe(0);
    auth = new URLSearchParams({ userID: 'gw1', token: String(login.body.token) }).toString();
    const joined = await send(gw, 'POST', `/weapp/multi_room/add_pusher?${auth}`, J({ userID: 'gw1', roomID: 'fz-gw', userName: 'gw1', userAvatar: '', pushURL: pushUrlFor('gw1') }));
    expect(joined.body.code).toBe(0);
    const keys = await stateKeys(gw.runtime, prefix);
    before = { keys, dump: await dumpAll(gw.runtime, keys) };
  });
  afterAll(async () => {
    if (!gw) return;
    await deleteByPrefix(gw.runtime, prefix);
    await gw.close();
  });

  it('refuses oversized, malformed, nested and misrouted requests with envelopes and keeps the state', async () => {
    const megabyte = sizedBody(1024 * 1024);
    const cases: [string, () => Promise<HttpAnswer>, number, number][] = [
      ['1 MB body', () => send(gw, 'POST', `/weapp/multi_room/add_pusher?${auth}`, megabyte), 413, 413],
      ['1 MB chunked body', () => send(gw, 'POST', `/weapp/multi_room/add_pusher?${auth}`, megabyte, { chunked: true }), 413, 413],
      ['64 KiB + 1 body', () => send(gw, 'POST', `/weapp/multi_room/create_room?${auth}`, sizedBody(MAX_BODY_BYTES + 1)), 413, 413],
      ['64 KiB body (roomInfo too long)', () => send(gw, 'POST', `/weapp/multi_room/create_room?${auth}`, sizedBody(MAX_BODY_BYTES)), 200, 10],
      ['invalid JSON', () => send(gw, 'POST', `/weapp/multi_room/get_pushers?${auth}`, '{"roomID":'), 400, 1],
      ['JSON bomb (10^4 nested arrays)', () => send(gw, 'POST', `/weapp/multi_room/get_pushers?${auth}`, arrayBomb(10_000)), 400, 1],
      ['__proto__ body, userID of another', () => send(gw, 'POST', `/weapp/multi_room/delete_pusher?${auth}`, '{"__proto__":{"polluted":"yes"},"roomID":"fz-gw","userID":"m1"}'), 200, 7],
      ['cnt 101', () => send(gw, 'POST', `/weapp/multi_room/get_room_list?${auth}`, '{"cnt":101}'), 400, 1],
      ['NUL and RTL in roomID', () => send(gw, 'POST', `/weapp/multi_room/pusher_heartbeat?${auth}`, J({ roomID: 'fz-gw\u0000\u202E' })), 400, 1],
      ['GET on a room endpoint', () => send(gw, 'GET', `/weapp/multi_room/add_pusher?${auth}`), 405, 405],
      ['PUT', () => send(gw, 'PUT', `/weapp/multi_room/destroy_room?${auth}`, '{"roomID":"fz-gw"}'), 405, 405],
      ['unknown room type', () => send(gw, 'POST', `/weapp/triple_room/add_pusher?${auth}`, '{}'), 404, 404],
      ['__proto__ route', () => send(gw, 'POST', `/weapp/__proto__/constructor?${auth}`, '{}'), 404, 404],
      ['unknown action', () => send(gw, 'GET', '/weapp/utils/getlogfile?file=/etc/passwd'), 404, 404],
      ['emoji action', () => send(gw, 'POST', `/weapp/multi_room/${encodeURIComponent('🙂')}?${auth}`, '{}'), 404, 404],
      ['outside /weapp', () => send(gw, 'POST', '/etc/passwd', '{}'), 404, 404],
      ['forged token', () => send(gw, 'POST', '/weapp/multi_room/destroy_room?userID=gw1&token=AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', '{"roomID":"fz-gw"}'), 200, 7],
      ['duplicate userID in the query', () => send(gw, 'POST', `/weapp/multi_room/destroy_room?${auth}&userID=m1`, '{"roomID":"fz-gw"}'), 200, 7],
    ];
    const seen: string[] = [];
    for (const [name, run, status, code] of cases) {
      const answer = await run();
      seen.push(`${name}: HTTP ${answer.status} code ${String(answer.body.code)}`);
      expect([name, answer.status, answer.body.code], JSON.stringify(answer.body)).toEqual([name, status, code]);
      expect(typeof answer.body.message).toBe('string');
      expect(typeof answer.body.requestId).toBe('string');
    }
    // Still serving, and nothing changed.
    expect((await send(gw, 'GET', '/weapp/utils/get_test_pushurl')).body.code).toBe(0);
    expect((await send(gw, 'POST', `/weapp/multi_room/get_pushers?${auth}`, '{"roomID":"fz-gw"}')).body.code).toBe(0);
    const keys = await stateKeys(gw.runtime, prefix);
    expect(keys).toEqual(before.keys);
    expect(await dumpAll(gw.runtime, keys)).toEqual(before.dump);
    console.log(`fuzz over HTTP: ${cases.length} hostile requests\n  ${seen.join('\n  ')}`);
  });

  it('answers a malformed percent-encoded path with an envelope (no hang, no unhandled rejection)', async () => {
    const answer = await send(gw, 'POST', `/weapp/%E0%A4%A/login`, '{}', { timeoutMs: 2000 });
    expect(answer.status).toBeLessThan(500);
    expect(typeof answer.body.code).toBe('number');
    // And the gateway still serves.
    expect((await send(gw, 'GET', '/weapp/utils/get_test_pushurl')).body.code).toBe(0);
  });
});

