/**
 * The Redis client: one per container, reused across warm invocations.
 * Commands fail fast while Redis is away (503 to the client, never a hang) and
 * the client reconnects by itself as soon as Redis is back.
 */
import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { storeUnavailable } from './errors';
import { SCRIPTS } from './rooms/scripts';

export type RedisClient = Redis | Cluster;

const COMMON: RedisOptions = {
  // SCF clients time out after a few seconds; a command must answer well before that.
  commandTimeout: 2000,
  connectTimeout: 2000,
  // A command caught by a lost connection fails at once (503) instead of being
  // resent after the reconnect: a resent script could apply twice.
  maxRetriesPerRequest: 0,
  // Reconnect quickly: the fault test expects recovery within 2 s of Redis returning.
  retryStrategy: (attempt) => Math.min(50 * attempt, 500),
  // No auto-pipelining: it held every command until the next event-loop turn
  // and sent the turn's commands as one batch, so Node and Redis took turns
  // (Redis idle while Node built the batch, Node idle while Redis ran it) and
  // each command paid for the Pipeline machinery. Written at once, Redis runs
  // the first script while Node still handles the next request: the heartbeat
  // handler went from ~25,500 to ~41,500 req/s at 64 callers, with 24 instead
  // of 31 us of Node CPU per request (bench "heartbeat").
  enableAutoPipelining: false,
  // No CLIENT SETINFO pair on every connect: in a bundle ioredis cannot find its
  // package.json for the version it would send (it reads it anyway, loading
  // fs/promises during a cold start's first call), and nothing reads the client
  // info back. CLIENT LIST still shows the connection.
  disableClientInfo: true,
};

export function connectRedis(url: string, cluster: boolean): RedisClient {
  const client = cluster
    ? new Redis.Cluster([url], { redisOptions: COMMON, clusterRetryStrategy: (attempt) => Math.min(50 * attempt, 500), enableAutoPipelining: false })
    : new Redis(url, COMMON);
  // Without a listener ioredis prints every reconnect error; the request path reports them instead.
  client.on('error', () => undefined);
  // Fail fast while disconnected: once connected, a command issued while Redis
  // is away is refused at once instead of waiting in the offline queue for a
  // reconnect (the first connection of a cold start may still queue).
  client.once('ready', () => {
    client.options.enableOfflineQueue = false;
  });
  defineScripts(client);
  return client;
}

/** Registers the room scripts as commands (EVALSHA, falling back to EVAL once per connection). */
export function defineScripts(client: { defineCommand: Redis['defineCommand'] }): void {
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: keys.length, lua });
}

/** Runs a store command; connection trouble becomes the 503 envelope (storeUnavailable). */
export async function storeCall<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isConnectionError(error)) throw storeUnavailable((error as Error).message);
    throw error;
  }
}

/** True for connection trouble (as opposed to a script or reply error). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return /CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN/.test(error.message);
  return true;
}

/**
 * For a server answering many requests at once (shared/http/server.ts), not a
 * function: the commands issued in one event-loop turn leave in one write.
 * The socket is corked at the turn's first command and uncorked after the
 * turn's I/O callbacks (setImmediate), so Node makes one writev instead of a
 * write per command and Redis reads the batch in one read. Unlike ioredis'
 * auto-pipelining (see COMMON) no Pipeline object is built: each command is
 * sent as it is, only the syscall is shared. Measured side by side with the
 * 2018 server (bench sidebyside, one worker, quick, load ~11): 0.79x without,
 * 1.14x with; the heartbeat's Node CPU no longer shows a write per command.
 */
export function coalesceWrites(client: RedisClient): void {
  // A cluster client has a socket per node; the embedded store (scripts/emulated-redis.ts) has none.
  if (!(client instanceof Redis)) return;
  let corked: { uncork(): void } | undefined;
  const uncork = () => {
    const socket = corked;
    corked = undefined;
    socket?.uncork();
  };
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    const socket = client.stream as (typeof client.stream & { cork?: () => void; uncork?: () => void }) | undefined;
    if (corked === undefined && client.status === 'ready' && socket?.cork) {
      socket.cork();
      corked = socket as { uncork(): void };
      setImmediate(uncork);
    }
    return send(...args);
  };
}
