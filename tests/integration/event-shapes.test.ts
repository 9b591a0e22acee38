/**
 * Contract tests of the events SCF really sends (TENCENT.md §2), built with
 * exactly the documented fields, for every route, on the real Redis:
 *
 *  - API Gateway trigger (doc 583/12513): the client's query arrives in
 *    `queryString` (the whole query); `queryStringParameters` holds only the
 *    parameters declared on the API, which for this service is none;
 *  - Function URL (doc 583/96099): body, headers, httpMethod, path,
 *    queryString; the client IP only in the `x-scf-remote-addr` header;
 *  - the console's test object.
 *
 * A route answers with the token from the query (anything but code 7) and
 * refuses without it (code 7): proof that the adapter read the query from where
 * the platform puts it.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { loadEndpoints, main_handler as router } from '../../functions/router';
import { toHttpRequest } from '../../shared/http/event';
import { functionNameOf } from '../../shared/http/endpoint';
import { CLOUD, signIn, startHarness, userSigFor, type Harness } from '../support/harness';

// Every definition the router serves (it loads each at its route's first request).
const ENDPOINTS = await loadEndpoints();

type Query = Record<string, string>;
type Shape = 'api-gateway' | 'api-gateway (query as a string)' | 'function-url' | 'console';
const SHAPES: Shape[] = ['api-gateway', 'api-gateway (query as a string)', 'function-url', 'console'];
const USER = 'alice';

/** API Gateway trigger event, the fields of doc 583/12513 and nothing else. */
function apiGatewayEvent(path: string, method: string, query: Query, body: string, asString = false, extraHeaders: Query = {}) {
  return {
    path,
    httpMethod: method,
    headers: { 'content-type': 'application/json', host: 'service-abcd1234-1250000000.gz.apigw.tencentcs.com', ...extraHeaders },
    body,
    isBase64Encoded: false,
    pathParameters: path.startsWith('/weapp/utils/') ? {} : { roomType: path.split('/')[2]! },
    headerParameters: {},
    requestContext: { sourceIp: '198.51.100.4', requestId: randomUUID(), serviceId: 'service-abcd1234', stage: 'release' },
    queryString: asString ? new URLSearchParams(query).toString() : query,
    // Nothing declared on the API: the client's parameters are not here.
    queryStringParameters: {},
  };
}

/** Function URL event, the fields of doc 583/96099; the client IP is only in a header. */
function functionUrlEvent(path: string, method: string, query: Query, body: string, ip = '203.0.113.7', extraHeaders: Query = {}) {
  return {
    body,
    headers: { 'content-type': 'application/json', host: '1250000000-abcd1234.ap-guangzhou.tencentscf.com', 'x-scf-remote-addr': ip, ...extraHeaders },
    httpMethod: method,
    path,
    queryString: query,
  };
}

const consoleEvent = (path: string, method: string, query: Query, body: string, headers: Query = {}) => ({ path, method, query, body, headers });

function eventOf(shape: Shape, path: string, method: string, query: Query, body: string, headers: Query = {}): unknown {
  if (shape === 'function-url') return functionUrlEvent(path, method, query, body, undefined, headers);
  if (shape === 'console') return consoleEvent(path, method, query, body, headers);
  return apiGatewayEvent(path, method, query, body, shape !== 'api-gateway', headers);
}

/** Path and body of the route's stored console event (events/<action>.json): a valid request for alice, on a room type the route serves. */
function stored(action: string): { path: string; body: string } {
  const event = JSON.parse(readFileSync(join(ROOT, 'events', `${action}.json`), 'utf8')) as { path: string; body?: string };
  return { path: event.path, body: event.body ?? '' };
}

async function answer(event: unknown): Promise<{ status: number; code: number; body: Record<string, unknown> }> {
  const response = (await router(event, { request_id: randomUUID() })) as { statusCode: number; body: string };
  const body = JSON.parse(response.body) as { code: number };
  return { status: response.statusCode, code: body.code, body };
}

describe('documented event shapes, every route', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  const sessionRoutes = ENDPOINTS.filter((e) => e.auth === 'session');
  const openRoutes = ENDPOINTS.filter((e) => e.auth === 'none');
  const signedRoutes = ENDPOINTS.filter((e) => e.auth === 'signed');
  const identityRoutes = ENDPOINTS.filter((e) => e.auth === 'identity');

  it('covers every endpoint', () => {
    expect(sessionRoutes.length + openRoutes.length + signedRoutes.length + identityRoutes.length).toBe(ENDPOINTS.length);
    expect(sessionRoutes.length).toBeGreaterThan(10);
  });

  for (const shape of SHAPES) {
    it.each(sessionRoutes.map(functionNameOf))(`${shape}: %s reads userID and token from the query`, async (action) => {
      // Prepare: a token of its own (logout revokes it).
      const { path, body } = stored(action);
      const { token } = await signIn(USER);

      // Act
      const signed = await answer(eventOf(shape, path, 'POST', { userID: USER, token }, body));
      const unsigned = await answer(eventOf(shape, path, 'POST', { userID: USER }, body));

      // Assess
      expect(signed.status, JSON.stringify(signed.body)).toBeLessThan(500);
      expect(signed.code, JSON.stringify(signed.body)).not.toBe(7);
      expect(unsigned.code, JSON.stringify(unsigned.body)).toBe(7);
    });

    it(`${shape}: login and the utility routes answer code 0 from the query alone`, async () => {
      // Prepare
      const cases: [string, string, Query][] = [
        ['/weapp/multi_room/login', 'POST', { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'bob', userSig: userSigFor('bob') }],
        ...openRoutes.filter((e) => e.scope === 'utils').map((e): [string, string, Query] => [`/weapp/utils/${e.action}`, 'GET', { userID: 'bob' }]),
      ];
      expect(cases.length).toBe(openRoutes.length);

      for (const [path, method, query] of cases) {
        // Act
        const result = await answer(eventOf(shape, path, method, query, ''));

        // Assess
        expect(result.code, `${path}: ${JSON.stringify(result.body)}`).toBe(0);
        if (path.endsWith('/login')) expect(result.body.userID).toBe('bob');
        if (path.endsWith('/get_login_info')) expect(result.body.userID).toBe('bob');
      }
    });

    it.each(identityRoutes.map(functionNameOf))(`${shape}: %s (webrtc_room) takes the caller from the body in AUTH_MODE demo, and wants a proof in AUTH_MODE jwt`, async (fn) => {
      // Prepare: the stored console event's body.
      const { path, body } = stored(fn);

      // Act
      const demo = await answer(eventOf(shape, path, 'POST', {}, body));
      await h.reconfigure({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: 'event-shapes-jwt-secret-0123456789abcdef' });
      const strict = await answer(eventOf(shape, path, 'POST', {}, body)).finally(() => h.reconfigure({}));

      // Assess
      expect(demo.status, JSON.stringify(demo.body)).toBeLessThan(500);
      expect(demo.code, JSON.stringify(demo.body)).not.toBe(7);
      expect(strict.code, JSON.stringify(strict.body)).toBe(7);
    });

    it.each(signedRoutes.map((e) => e.action))(`${shape}: the %s callback is judged by its signed body`, async (action) => {
      // Prepare: the stored sample with a real signature, and the same with a wrong one (each platform's scheme).
      const sample = JSON.parse(stored(action).body) as Record<string, unknown>;
      const signed = (valid: boolean): { body: string; headers: Query } => {
        if (action === 'trtc' || action === 'trtc_recording') {
          const raw = JSON.stringify(sample);
          const key = action === 'trtc' ? CLOUD.trtcCallbackKey : CLOUD.trtcRecordingCallbackKey;
          return { body: raw, headers: { sign: valid ? createHmac('sha256', key).update(raw).digest('base64') : 'AAAA' } };
        }
        const t = Math.floor(Date.now() / 1000) + 600;
        return { body: JSON.stringify({ ...sample, t, sign: valid ? createHash('md5').update(CLOUD.callbackKey + t).digest('hex') : '0'.repeat(32) }), headers: {} };
      };
      const good = signed(true);
      const bad = signed(false);
      const path = `/weapp/callbacks/${action}`;

      // Act
      const accepted = await answer(eventOf(shape, path, 'POST', {}, good.body, good.headers));
      const refused = await answer(eventOf(shape, path, 'POST', {}, bad.body, bad.headers));

      // Assess
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      expect(accepted.code).toBe(0);
      expect(refused.status).toBe(403);
    });
  }
});

describe('documented event shapes, the admin plane', () => {
  let h: Harness;
  const key = 'event-shapes-admin-key-0123456789abcdef';
  beforeAll(async () => {
    h = await startHarness({ ADMIN_API_KEY: key });
  });
  afterAll(async () => h?.close());

  /** The shape's event with an Authorization header added (or none). */
  function withKey(shape: Shape, path: string, method: string, query: Query, authorization?: string) {
    const event = eventOf(shape, path, method, query, '') as { headers?: Record<string, string> };
    if (authorization !== undefined) event.headers = { ...event.headers, authorization };
    return event;
  }

  for (const shape of SHAPES) {
    it(`${shape}: the admin API reads the bearer key from the headers, its query and path parameters from the path`, async () => {
      // Act
      const listed = await answer(withKey(shape, '/admin/rooms', 'GET', { limit: '5', type: 'live_room' }, `Bearer ${key}`));
      const refused = await answer(withKey(shape, '/admin/rooms', 'GET', {}));
      const badQuery = await answer(withKey(shape, '/admin/rooms', 'GET', { limit: '500' }, `Bearer ${key}`));
      const room = await answer(withKey(shape, '/admin/rooms/multi_room/nope', 'GET', {}, `Bearer ${key}`));

      // Assess
      expect(listed, JSON.stringify(listed.body)).toMatchObject({ status: 200, code: 0, body: { rooms: [], next: null } });
      expect(refused).toMatchObject({ status: 401, code: 401 });
      expect(badQuery).toMatchObject({ status: 400, code: 1 });
      expect(room).toMatchObject({ status: 404, code: 3 });
    });
  }

  it('the stored console event of the admin function reaches the admin API (401 with its placeholder key)', async () => {
    const event = JSON.parse(readFileSync(join(ROOT, 'events', 'admin.json'), 'utf8')) as Record<string, unknown>;
    const { main_handler } = await import('../../functions/admin');
    const response = await main_handler(event, { request_id: randomUUID() });
    expect(response.statusCode).toBe(401);
    const withRealKey = await main_handler({ ...event, headers: { ...(event.headers as object), Authorization: `Bearer ${key}` } }, {});
    expect(JSON.parse(withRealKey.body)).toMatchObject({ code: 0, rooms: [] });
  });
});

describe('client IP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_IP: '1' });
  });
  afterAll(async () => h?.close());

  it('a Function URL event takes the client IP from x-scf-remote-addr alone', async () => {
    // Prepare: one request per minute per IP on the open routes.
    const call = (ip: string) => answer(functionUrlEvent('/weapp/utils/get_login_info', 'GET', { userID: 'carol' }, '', ip));

    // Act
    const first = await call('203.0.113.21');
    const again = await call('203.0.113.21');
    const other = await call('203.0.113.22');

    // Assess: the quota follows the header's address.
    expect(toHttpRequest(functionUrlEvent('/weapp/utils/check_config', 'GET', {}, '', '203.0.113.21')).sourceIp).toBe('203.0.113.21');
    expect([first.code, again.code, other.code]).toEqual([0, 429, 0]);
  });

  it('an API Gateway event takes it from requestContext.sourceIp, never from X-Forwarded-For', () => {
    const event = apiGatewayEvent('/weapp/utils/check_config', 'GET', {}, '');
    const forged = { ...event, headers: { ...event.headers, 'x-forwarded-for': '192.0.2.1' } };
    expect(toHttpRequest(forged).sourceIp).toBe('198.51.100.4');
  });
});

describe('query precedence', () => {
  it('an API Gateway event reads the whole query from queryString and falls back to queryStringParameters', () => {
    // Prepare
    const base = apiGatewayEvent('/weapp/utils/get_login_info', 'GET', { userID: 'dave' }, '');

    // Act
    const fromQueryString = toHttpRequest(base).query;
    const fromString = toHttpRequest({ ...base, queryString: 'userID=erin&x=1&x=2' }).query;
    const fallback = toHttpRequest({ ...base, queryString: undefined, queryStringParameters: { userID: 'frank' } }).query;
    const both = toHttpRequest({ ...base, queryString: { userID: 'gina' }, queryStringParameters: { userID: 'declared', roomType: 'multi_room' } }).query;

    // Assess
    expect({ ...fromQueryString }).toEqual({ userID: 'dave' });
    expect({ ...fromString }).toEqual({ userID: 'erin', x: '1' });
    expect({ ...fallback }).toEqual({ userID: 'frank' });
    expect({ ...both }).toEqual({ userID: 'gina', roomType: 'multi_room' });
  });
});
