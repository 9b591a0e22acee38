/**
 * The self-hosted server as it runs in production: compiled by
 * scripts/build-server.ts and started with plain `node`, on the real Redis,
 * IM and live calls going to the loopback fake. It must answer every route
 * as the router answers the same request arriving as an SCF event, shut down gracefully (a request in flight is answered, then exit 0;
 * one that outlives the bound is dropped), serve from several workers (and
 * replace one that dies), and answer what is not HTTP with the envelope.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main_handler } from '../../functions/router';
import { buildServer } from '../../scripts/build-server';
import { loadConfig } from '../../shared/config';
import { setLogSink } from '../../shared/log';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import type { FakeCloud } from '../support/fake-cloud';
import { deleteByPrefix, sleep, startTestCloud, testEnv, userSigFor } from '../support/harness';

const ADMIN_API_KEY = 'server-admin-key-0123456789abcdefghijkl';

let bundle: string;
let outdir: string;
let fake: FakeCloud;
let rt: Runtime;
const prefix = `test-srv-${randomBytes(3).toString('hex')}`;
let env: Record<string, string>;

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  /** Every stdout line so far (JSON log lines). */
  lines: () => Record<string, unknown>[];
  exit: Promise<number | null>;
}

/** Starts the compiled server and waits for its server_started line. */
async function startServer(extra: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH, ...env, PORT: '0', HOST: '127.0.0.1', SWEEP_INTERVAL_MS: '0', ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const until = Date.now() + 30_000;
  for (;;) {
    const started = lines().find((line) => line.event === 'server_started');
    if (started) {
      const url = String(started.url);
      return { child, url, port: Number(new URL(url).port), lines, exit };
    }
    if (child.exitCode !== null || Date.now() > until) throw new Error(`server did not start (exit ${child.exitCode}): ${err}${out}`);
    await sleep(50);
  }
}

async function stop(server: Started): Promise<number | null> {
  if (server.child.exitCode === null) server.child.kill('SIGTERM');
  return server.exit;
}

interface Raw {
  method: string;
  target: string;
  headers?: Record<string, string>;
  body?: string;
}
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function send(port: number, req: Raw): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method: req.method, path: req.target, headers: { 'content-type': 'application/json', ...req.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/**
 * The same request as an API Gateway trigger event to the router, the way the
 * local gateway built one per request before it shared the server's core
 * (a repeated query parameter: its last value).
 */
async function viaRouter(req: Raw): Promise<Answer> {
  const mark = req.target.indexOf('?');
  const answer = await main_handler({
    httpMethod: req.method,
    path: mark === -1 ? req.target : req.target.slice(0, mark),
    headers: { 'content-type': 'application/json', ...req.headers },
    queryStringParameters: Object.fromEntries(new URLSearchParams(mark === -1 ? '' : req.target.slice(mark + 1))),
    pathParameters: {},
    body: req.body ?? '',
    isBase64Encoded: false,
    requestContext: { requestId: randomBytes(12).toString('hex'), sourceIp: '127.0.0.1' },
  });
  return { status: answer.statusCode, headers: answer.headers, body: answer.body };
}

/** What must match: status, content type and CORS headers, the envelope's code and message, and which fields it has. */
function comparable(answer: Answer) {
  const header = (name: string) => Object.entries(answer.headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const type = header('content-type');
  // A 204 has no body on the wire (Node drops it); the router's event answer still carries one.
  const json = type?.startsWith('application/json') && answer.status !== 204 ? (JSON.parse(answer.body) as Record<string, unknown>) : undefined;
  return {
    status: answer.status,
    type,
    allowOrigin: header('access-control-allow-origin'),
    allowMethods: header('access-control-allow-methods'),
    code: json?.code,
    message: json?.message,
    fields: json ? Object.keys(json).sort() : answer.status !== 204 && answer.body.length > 0,
    hasRequestId: header('x-request-id') !== undefined,
  };
}

beforeAll(async () => {
  setLogSink(() => undefined);
  outdir = mkdtempSync(path.join(tmpdir(), 'roomservice-server-'));
  bundle = await buildServer(outdir);
  fake = await startTestCloud();
  env = testEnv(fake, prefix, { ADMIN_API_KEY, CORS_ALLOW_ORIGINS: 'https://app.example' });
  rt = buildRuntime(loadConfig(env));
  installRuntime(rt);
}, 60_000);

afterAll(async () => {
  await deleteByPrefix(rt, prefix);
  await rt.redis.quit();
  installRuntime(undefined);
  await fake.close();
  rmSync(outdir, { recursive: true, force: true });
});

describe('the compiled server (dist/server/index.js)', () => {
  let server: Started;
  beforeAll(async () => {
    server = await startServer({ WORKERS: '2' });
  }, 60_000);
  afterAll(async () => {
    if (server) expect(await stop(server)).toBe(0);
  });

  it('answers every route as the router answers the same request as an SCF event', async () => {
    // Prepare: one signed-in user, so session routes get past the token check.
    const login = JSON.parse((await viaRouter({ method: 'POST', target: `/weapp/multi_room/login?${new URLSearchParams({ userID: 'srv_alice', sdkAppID: '1400000000', userSig: userSigFor('srv_alice') })}` })).body) as { token: string };
    const auth = new URLSearchParams({ userID: 'srv_alice', token: login.token }).toString();
    const requests: Raw[] = [
      { method: 'GET', target: '/weapp/utils/get_login_info?userID=srv_bob' },
      { method: 'GET', target: '/weapp/utils/get_login_info' },
      { method: 'GET', target: '/weapp/utils/get_login_info?userID=srv_bob&userID=bad%20id' },
      { method: 'GET', target: '/weapp/utils/get_test_pushurl' },
      { method: 'GET', target: '/weapp/utils/get_test_rtmpaccurl' },
      { method: 'POST', target: `/weapp/multi_room/login?${new URLSearchParams({ userID: 'srv_carol', sdkAppID: '1400000000', userSig: userSigFor('srv_carol') })}` },
      { method: 'POST', target: '/weapp/multi_room/login?userID=srv_carol&sdkAppID=1400000000&userSig=forged' },
      { method: 'POST', target: '/weapp/multi_room/get_room_list', body: '{}' },
      { method: 'POST', target: `/weapp/multi_room/get_room_list?${auth}`, body: '{"index":0,"count":5}' },
      { method: 'POST', target: `/weapp/double_room/get_room_list?${auth}`, body: '{"index":-1}' },
      { method: 'POST', target: `/weapp/live_room/pusher_heartbeat?${auth}`, body: '{"roomID":"nowhere"}' },
      { method: 'POST', target: `/weapp/multi_room/create_room?${auth}`, body: 'not json' },
      { method: 'POST', target: `/weapp/multi_room/create_room?${auth}`, body: '[1,2]' },
      { method: 'POST', target: `/weapp/multi_room/create_room?${auth}`, body: JSON.stringify({ roomInfo: 'x'.repeat(70 * 1024) }) },
      { method: 'GET', target: `/weapp/multi_room/create_room?${auth}` },
      { method: 'POST', target: '/weapp/multi_room/no_such_action', body: '{}' },
      { method: 'POST', target: '/weapp/no_such_room/create_room', body: '{}' },
      { method: 'POST', target: '/weapp/webrtc_room/get_room_list', body: '{}' },
      { method: 'POST', target: '/weapp/webrtc_room/create_room', body: '{"userID":"srv_dave"}' },
      { method: 'POST', target: '/weapp/callbacks/live_stream', body: '{"event_type":1}' },
      { method: 'POST', target: '/weapp/callbacks/trtc', body: '{}' },
      { method: 'POST', target: '/weapp/callbacks/trtc_recording', body: '{}' },
      { method: 'POST', target: '/weapp/utils/check_config', body: '{}' },
      { method: 'OPTIONS', target: '/weapp/multi_room/create_room', headers: { origin: 'https://app.example' } },
      { method: 'POST', target: '/weapp/multi_room/get_room_list', headers: { origin: 'https://elsewhere.example' }, body: '{}' },
      { method: 'GET', target: '/openapi.json' },
      { method: 'GET', target: '/admin/rooms' },
      { method: 'GET', target: '/admin/rooms', headers: { authorization: `Bearer ${ADMIN_API_KEY}` } },
      { method: 'GET', target: '/admin/' },
      { method: 'GET', target: '/nothing/here' },
      { method: 'GET', target: '/' },
    ];

    // Act
    const pairs = [];
    for (const req of requests) pairs.push({ req: `${req.method} ${req.target.slice(0, 80)}`, server: comparable(await send(server.port, req)), router: comparable(await viaRouter(req)) });

    // Assess: alike, and not alike by being all the same failure.
    for (const { req, server: got, router } of pairs) expect(got, req).toEqual(router);
    expect(new Set(pairs.map((p) => p.server.code)).size).toBeGreaterThan(5);
    expect(pairs.filter((p) => p.server.code === 0).length).toBeGreaterThan(4);
  });

  it('serves from two workers and replaces one that dies', async () => {
    // Prepare
    const started = server.lines().find((line) => line.event === 'server_started')!;
    expect(started.workers).toBe(2);
    const [first, second] = started.workerPids as number[];
    expect(first).not.toBe(second);

    // Act: kill one worker; the primary forks another.
    process.kill(first!, 'SIGKILL');
    for (let i = 0; i < 200 && !server.lines().some((line) => line.event === 'worker_started'); i++) await sleep(50);

    // Assess: many requests at once are all answered.
    expect(server.lines().find((line) => line.event === 'worker_exited')?.pid).toBe(first);
    const answers = await Promise.all(Array.from({ length: 40 }, () => send(server.port, { method: 'GET', target: '/weapp/utils/get_login_info?userID=srv_eve' })));
    expect(answers.map((a) => JSON.parse(a.body).code)).toEqual(Array(40).fill(0));
  }, 20_000);

  it('answers what is not HTTP with the envelope (code 1), never a bare error or a hang', async () => {
    const raw = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(bytes));
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(5000, () => reject(new Error('no answer within 5 s')));
      });
    for (const bytes of ['GARBAGE\r\n\r\n', 'POST /weapp/multi_room/login HTTP/1.1\r\nContent-Length: nope\r\n\r\n', `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]) {
      const text = await raw(bytes);
      expect(text, bytes.slice(0, 40)).toMatch(/^HTTP\/1\.1 4(00|31) /);
      const envelope = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      expect(envelope).toMatchObject({ code: 1, message: 'malformed HTTP request' });
      expect(envelope.requestId).toMatch(/^[0-9a-f]{24}$/);
    }
  });
});

describe('graceful shutdown', () => {
  /** Sends a POST's headers and half its body; `finish` sends the rest and resolves with the raw answer. */
  function halfSent(port: number) {
    const body = '{"roomID":"nowhere","index":0}';
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const answered = new Promise<string>((resolve, reject) => {
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    socket.write(`POST /weapp/multi_room/get_room_list HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    return {
      answered,
      finish: () => {
        socket.write(body.slice(10));
        return answered;
      },
    };
  }

  it('SIGTERM: a request in flight is answered (Connection: close), then every process exits 0', async () => {
    // Prepare
    const server = await startServer({ WORKERS: '2', SHUTDOWN_GRACE_MS: '10000' });
    const inFlight = halfSent(server.port);
    await sleep(300);

    // Act
    server.child.kill('SIGTERM');
    await sleep(500);
    const text = await inFlight.finish();

    // Assess
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 7 });
    expect(await server.exit).toBe(0);
    const stopped = server.lines().filter((line) => line.event === 'server_stopped');
    expect(stopped).toHaveLength(3); // two workers, then the primary
    expect(stopped.at(-1)).toMatchObject({ code: 0, workers: 2 });
  }, 30_000);

  it('a request that outlives SHUTDOWN_GRACE_MS is dropped and the server still exits 0', async () => {
    // Prepare
    const server = await startServer({ WORKERS: '1', SHUTDOWN_GRACE_MS: '400' });
    const inFlight = halfSent(server.port);
    await sleep(300);

    // Act
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const code = await server.exit;

    // Assess
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(5000);
    expect(await inFlight.answered).toBe('');
    expect(server.lines().find((line) => line.event === 'server_stopped')).toMatchObject({ dropped: 1 });
  }, 30_000);
});
