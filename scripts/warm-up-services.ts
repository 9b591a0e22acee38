/**
 * What a code-cache warm-up (scripts/code-cache.ts) talks to: a Redis that
 * answers and a Tencent API that says OK, both on the loopback, both made
 * here, so a build needs neither Redis nor the cloud and gives the same bytes
 * on every machine.
 *
 * Why they must answer: V8 caches only the functions a warm-up compiled. With
 * services that refuse, every endpoint's warm-up ended at its first Redis
 * command (the request's rate limit), so nothing past it was cached: the
 * router's first check_config call compiled the Redis reply path, the endpoint
 * itself, the IM client's answer path and axios's response handling at run
 * time (first call 35 ms; 23 ms with a cache made against answering services).
 *
 *  - Redis: the embedded store of `npm start` (scripts/emulated-redis.ts, the
 *    production Lua scripts in an in-process Redis emulation) behind a socket
 *    speaking RESP2, the protocol ioredis speaks. A fresh store per warm-up.
 *  - IM and Cloud API 3.0: every POST answers the success shape of both
 *    (`ActionStatus: OK`, `ErrorCode: 0`, `Response.RequestId`); nothing is
 *    checked, the warm-up only has to reach the code that reads an answer.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { SessionStore } from '../shared/auth/sessions';
import { loadConfig } from '../shared/config';
import type { RedisClient } from '../shared/redis';
import { roomPartitions } from '../shared/rooms/partitions';
import { SCRIPTS } from '../shared/rooms/scripts';
import { issueUserSig } from '../shared/sign/usersig';
import { emulatedRedis } from './emulated-redis';

/** One RESP2 reply, from what the emulated client answered. */
export function encodeReply(value: unknown): string {
  if (value === null || value === undefined) return '$-1\r\n';
  if (typeof value === 'number') return `:${Math.trunc(value)}\r\n`;
  if (Array.isArray(value)) return `*${value.length}\r\n${value.map(encodeReply).join('')}`;
  // HGETALL answers an object on the client side: Redis sends field, value, ...
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return encodeReply(Object.entries(value).flat());
  const text = String(value);
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/**
 * The commands complete in `buffer` (RESP arrays of bulk strings, as every
 * client sends them) and how many bytes they took; a partial one waits for more.
 */
export function parseCommands(buffer: Buffer): { commands: string[][]; used: number } {
  const commands: string[][] = [];
  let at = 0;
  const line = (from: number): { text: string; next: number } | undefined => {
    const end = buffer.indexOf('\r\n', from);
    return end === -1 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 };
  };
  for (;;) {
    const head = line(at);
    if (!head) break;
    if (!head.text.startsWith('*')) throw new Error(`not a RESP array: ${head.text.slice(0, 20)}`);
    const count = Number(head.text.slice(1));
    const args: string[] = [];
    let cursor = head.next;
    for (let i = 0; i < count; i += 1) {
      const size = line(cursor);
      if (!size) return { commands, used: at };
      const length = Number(size.text.slice(1));
      if (buffer.length < size.next + length + 2) return { commands, used: at };
      args.push(buffer.toString('utf8', size.next, size.next + length));
      cursor = size.next + length + 2;
    }
    commands.push(args);
    at = cursor;
  }
  return { commands, used: at };
}

type Client = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** Answers one command from the emulated store, as Redis would (errors as `-ERR`). */
async function answer(client: Client, byDigest: Map<string, string>, [name = '', ...args]: string[]): Promise<string> {
  const command = name.toLowerCase();
  try {
    if (command === 'evalsha') {
      const script = byDigest.get(args[0]!);
      if (!script) return '-NOSCRIPT No matching script. Please use EVAL.\r\n';
      return encodeReply(await client[script]!(...args.slice(2)));
    }
    if (command === 'eval') return encodeReply(await client.eval!(...args));
    if (command === 'client' || command === 'select') return '+OK\r\n';
    const run = client[command];
    if (typeof run !== 'function') return `-ERR unknown command '${name}'\r\n`;
    return encodeReply(await run.apply(client, args));
  } catch (error) {
    return `-ERR ${(error as Error).message.replace(/\r?\n/g, ' ')}\r\n`;
  }
}

/** A RESP2 server in front of a fresh embedded store; commands answered in order per connection. */
export async function startRespBridge(): Promise<{ url: string; store: RedisClient; close(): Promise<void> }> {
  const store = await emulatedRedis();
  const client = store as unknown as Client;
  // ioredis runs a defined script by the SHA1 of its text (EVALSHA), like Redis.
  const byDigest = new Map(Object.entries(SCRIPTS).map(([name, { lua }]) => [createHash('sha1').update(lua).digest('hex'), name]));
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let parsed;
      try {
        parsed = parseCommands(pending);
      } catch {
        socket.destroy();
        return;
      }
      pending = pending.subarray(parsed.used);
      for (const command of parsed.commands) {
        queue = queue.then(async () => {
          const reply = await answer(client, byDigest, command);
          if (!socket.destroyed) socket.write(reply);
        });
      }
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => server.close(closed));
      await (client.quit?.() ?? Promise.resolve());
    },
  };
}

/** The success shape of an IM REST answer and of a Cloud API 3.0 answer at once. */
const CLOUD_OK = JSON.stringify({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', Response: { RequestId: 'code-cache-warm-up' } });

/** An HTTP server answering every request with CLOUD_OK. */
export async function startCloudAnswerer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createHttpServer((req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(CLOUD_OK));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
    },
  };
}

const parseObject = (text: string | undefined): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

type ConsoleEvent = { queryString?: Record<string, string>; headers?: Record<string, string>; body?: string };

/**
 * Both services for one warm-up, the settings that point a function at them,
 * and `credentials(event)`: the console event with what a real first call
 * carries instead of its placeholders (a UserSig for login, a session token
 * for the signed-in routes), so the warm-up runs the endpoint itself, not only
 * the refusal of a bad credential. The platform callbacks get what Tencent
 * signs: a live callback's `t` and `sign` (md5(key + t)), a TRTC callback's
 * `Sign` header (HMAC-SHA256 of the body).
 */
export async function startWarmUpServices(settings: Readonly<Record<string, string>>): Promise<{
  env: Record<string, string>;
  credentials(event: unknown): Promise<unknown>;
  close(): Promise<void>;
}> {
  const [redis, cloud] = await Promise.all([startRespBridge(), startCloudAnswerer()]);
  // The warm-up's function looks for the session where this process wrote it: the same partition count
  // (read once per process from ROOM_PARTITIONS; 1 unless the build's own environment sets it).
  const env = { REDIS_URL: redis.url, IM_API_BASE_URL: cloud.url, CLOUD_API_BASE_URL: cloud.url, ROOM_PARTITIONS: String(roomPartitions()) };
  const config = loadConfig({ ...settings, ...env });
  const sessions = new SessionStore(redis.store, config.keyPrefix, config.sessionSecret, config.sessionTtlSeconds);
  return {
    env,
    async credentials(event) {
      if (event === undefined) return event;
      const call = { ...(event as ConsoleEvent) };
      const user = call.queryString?.userID;
      if (call.queryString && user) {
        const query = (call.queryString = { ...call.queryString });
        if ('userSig' in query) query.userSig = issueUserSig({ sdkAppId: config.im.sdkAppId, secretKey: config.im.secretKey }, user);
        if ('token' in query) query.token = await sessions.open(user);
      }
      const body = parseObject(call.body);
      if (body && 't' in body && 'sign' in body && config.live.callbackKey) {
        const t = Math.floor(Date.now() / 1000) + 300;
        call.body = JSON.stringify({ ...body, t, sign: createHash('md5').update(config.live.callbackKey + String(t)).digest('hex') });
      }
      // One key for both TRTC callbacks in WARM_UP_ENV, so the Sign header needs no function name.
      if (call.headers && 'Sign' in call.headers && config.trtc.callbackKey) {
        call.headers = { ...call.headers, Sign: createHmac('sha256', config.trtc.callbackKey).update(call.body ?? '', 'utf8').digest('base64') };
      }
      return call;
    },
    close: async () => {
      await Promise.all([redis.close(), cloud.close()]);
    },
  };
}
