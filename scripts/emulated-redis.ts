/**
 * The embedded store of `npm start` and of the test suite's embedded project:
 * ioredis-mock, which runs our Lua scripts in fengari (Lua 5.3 in JS), with a
 * small adapter so that the values crossing between Lua and Redis convert the
 * way a real Redis converts them. The scripts themselves are the production
 * ones, unchanged: only the boundary is adapted. Never bundled into a function.
 *
 * Why the adapter (ioredis-mock 8.13, fengari 0.1.5; root cause of the HTTP 500s
 * `get_pushers` / `get_custom_info` / `merge_stream` / `get_room_list` answered
 * on `npm start`):
 *
 * 1. Script replies. The mock decides whether a returned Lua table is an array
 *    by walking it with `lua_next` and expecting the keys in *descending*
 *    order, because that is how fengari's table constructor (OP_SETLIST)
 *    inserts them. fengari tables iterate in insertion order, so a table grown
 *    in ascending order (`t[#t + 1] = x`, `reply[8] = n`) is not recognised as
 *    an array: the mock then returns a live proxy of the Lua table, and the
 *    first read of that proxy after the Lua state was closed throws
 *    `TypeError: Cannot set properties of null (setting '2') at
 *    lua_pushcclosure`. Real Redis converts any table by reading t[1], t[2], ...
 *    up to the first nil. `toReply` below does exactly that and rebuilds the
 *    table in descending order, which the mock then reads correctly.
 * 2. `redis.call` results. The mock hands arrays to Lua as JS proxies
 *    (`type(x) == 'userdata'`) whose missing entries are a JS null, which is
 *    truthy in Lua; real Redis gives a Lua table holding `false` for a nil
 *    bulk (so `HMGET(...)[i] or ''` works). `fromRedis` converts them.
 * 3. Scalars in replies: real Redis turns Lua `false` into a nil reply, `true`
 *    into 1 and a number into an integer (truncated); the mock passes them as
 *    they are. `toRedisValue` converts them on the JS side.
 *
 * Error tables (`{err = ...}`, `redis.error_reply`) and status tables are not
 * adapted: no script of ours returns them.
 */
import type { RedisClient } from '../shared/redis';
import { SCRIPTS } from '../shared/rooms/scripts';

/** Lua run before every script: redis.call / redis.pcall answer Lua tables, as in Redis. */
const PRELUDE = `
local __call, __pcall = redis.call, redis.pcall
local function __isArray(v)
  local ok = pcall(function() return #v end)
  return ok
end
local function __fromRedis(v)
  if type(v) ~= 'userdata' then return v end
  if not __isArray(v) then return false end -- the JS null of a nil bulk
  local t = {}
  for i = #v, 1, -1 do t[i] = __fromRedis(v[i]) end
  return t
end
redis.call = function(...) return __fromRedis(__call(...)) end
redis.pcall = function(...) return __fromRedis(__pcall(...)) end
local function __toReply(v)
  if type(v) ~= 'table' then return v end
  local n = 0
  while v[n + 1] ~= nil do n = n + 1 end
  local t = {}
  for i = n, 1, -1 do t[i] = __toReply(v[i]) end
  return t
end
local function __script()
`;

const EPILOGUE = `
end
return __toReply(__script())
`;

/** A script wrapped in the adapter (its text unchanged inside a function). */
export const adaptScript = (lua: string): string => PRELUDE + lua + EPILOGUE;

/** Lua false -> nil reply, true -> 1, numbers -> integers, as Redis converts a script's reply. */
export function toRedisValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toRedisValue);
  if (value === false || value === undefined) return null;
  if (value === true) return 1;
  if (typeof value === 'number') return Math.trunc(value);
  return value;
}

type ScriptFn = (...args: unknown[]) => Promise<unknown>;

/** A fresh in-process store with the room scripts defined, converting like Redis. */
export async function emulatedRedis(): Promise<RedisClient> {
  const { default: RedisMock } = await import('ioredis-mock');
  const client = new RedisMock() as unknown as Record<string, ScriptFn> & {
    defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
  };
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, { numberOfKeys: keys, lua: adaptScript(lua) });
    const run = client[name]!;
    client[name] = async (...args) => toRedisValue(await run.apply(client, args));
  }
  const evalScript = client.eval!;
  client.eval = async (lua, ...args) => toRedisValue(await evalScript.call(client, adaptScript(String(lua)), ...args));
  return client as unknown as RedisClient;
}
