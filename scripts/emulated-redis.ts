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
 * 4. Hash field names. The mock keeps a hash as a plain JS object, so a field
 *    named like an Object.prototype member is lost (`__proto__`) or reads as
 *    present (`HGET h toString` answers a function). Field names are user
 *    input here (user ids, custom field names), so every field is stored with
 *    a one-character prefix, added on the way in and removed on the way out,
 *    both in Lua (`redis.call`) and on the client (`hset`, `hkeys`, ...).
 * 5. Empty keys. Redis deletes a sorted set or list the moment its last member
 *    goes; the mock keeps it, empty, after ZREM, ZREMRANGEBYSCORE/RANK,
 *    ZPOPMIN/MAX and LTRIM (HDEL, SREM and LPOP do delete). So a key that
 *    Redis no longer has stayed visible (EXISTS, SCAN, a TTL of its own). After
 *    those commands the adapter deletes the key when it is empty, in Lua and
 *    on the client.
 *
 * Not adapted, because no script of ours depends on it (the differential
 * test, tests/integration/differential.test.ts, would show it if one did):
 * error and status tables (`{err = ...}`, `redis.error_reply`); Redis errors
 * such as WRONGTYPE (the mock answers false); the Lua dialect (fengari is Lua
 * 5.3, Redis 5.1: `tostring(3.0)` is "3.0" there, `string.format('%d', 2.5)`
 * fails there, its integers are 32-bit so `string.format('%d', t)` fails for a
 * time in ms (the webhook scripts take their moments ready-made from the
 * caller; emulation.test.ts pins this), and there are no cjson/struct/bit
 * libraries, so the event log builds its JSON by hand); key names the
 * mock keeps in a plain object too (ours always start with the key prefix).
 */
import type { RedisClient } from '../shared/redis';
import { SCRIPTS } from '../shared/rooms/scripts';

/** Prefix of every hash field inside the mock (see 4.). */
const FIELD_MARK = 'f';

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
-- Hash commands: where their field arguments start and how they repeat (see 4.).
local __FIELDS = {HSET = 2, HSETNX = 2, HMSET = 2, HINCRBY = 2, HGET = 1, HMGET = 1, HEXISTS = 1, HDEL = 1}
local function __hashCall(fn, ...)
  local args = {...}
  local name = string.upper(tostring(args[1]))
  local step = __FIELDS[name]
  if step then for i = 3, #args, step do args[i] = '${FIELD_MARK}' .. args[i] end end
  local reply = __fromRedis(fn(unpack(args)))
  if type(reply) == 'table' and (name == 'HGETALL' or name == 'HKEYS') then
    for i = 1, #reply, (name == 'HGETALL' and 2 or 1) do reply[i] = string.sub(reply[i], ${FIELD_MARK.length + 1}) end
  end
  return reply
end
-- Commands after which the mock keeps an emptied key (see 5.), and how to count what is left.
local __EMPTIES = {ZREM = 'ZCARD', ZREMRANGEBYSCORE = 'ZCARD', ZREMRANGEBYRANK = 'ZCARD', ZREMRANGEBYLEX = 'ZCARD',
  ZPOPMIN = 'ZCARD', ZPOPMAX = 'ZCARD', LTRIM = 'LLEN'}
local function __dropIfEmpty(name, key)
  local count = __EMPTIES[name]
  if count and __call(count, key) == 0 then __call('DEL', key) end
end
redis.call = function(...)
  local reply = __hashCall(__call, ...)
  __dropIfEmpty(string.upper(tostring((...))), select(2, ...))
  return reply
end
redis.pcall = function(...)
  local reply = __hashCall(__pcall, ...)
  __dropIfEmpty(string.upper(tostring((...))), select(2, ...))
  return reply
end
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

const mark = (field: unknown) => FIELD_MARK + String(field);
const unmark = (field: string) => field.slice(FIELD_MARK.length);

/** The client's hash commands, with field names marked like the Lua side marks them (see 4.). */
function markHashFields(client: Record<string, ScriptFn>): void {
  const wrap = (name: string, args: (all: unknown[]) => unknown[], reply: (value: unknown) => unknown = (v) => v) => {
    const original = client[name]!;
    client[name] = async (...all) => reply(await original.apply(client, args(all)));
  };
  const everyField = ([key, ...fields]: unknown[]) => [key, ...fields.flat().map(mark)];
  const pairs = ([key, ...rest]: unknown[]) => {
    const flat = rest.length === 1 && rest[0] !== null && typeof rest[0] === 'object' ? Object.entries(rest[0] as object).flat() : rest;
    return [key, ...flat.map((v, i) => (i % 2 === 0 ? mark(v) : v))];
  };
  for (const name of ['hget', 'hmget', 'hexists', 'hdel']) wrap(name, everyField);
  for (const name of ['hset', 'hsetnx', 'hmset']) wrap(name, pairs);
  wrap('hincrby', ([key, field, by]) => [key, mark(field), by]);
  wrap('hkeys', (all) => all, (fields) => (fields as string[]).map(unmark));
  wrap('hgetall', (all) => all, (hash) => Object.fromEntries(Object.entries(hash as object).map(([k, v]) => [unmark(k), v])));
}

/** The client's commands after which the mock keeps an emptied key: delete it, as Redis does (see 5.). */
function dropEmptiedKeys(client: Record<string, ScriptFn>): void {
  const counts: Record<string, string> = {
    zrem: 'zcard', zremrangebyscore: 'zcard', zremrangebyrank: 'zcard', zremrangebylex: 'zcard', zpopmin: 'zcard', zpopmax: 'zcard', ltrim: 'llen',
  };
  for (const [name, count] of Object.entries(counts)) {
    const original = client[name]!;
    client[name] = async (key, ...rest) => {
      const reply = await original.call(client, key, ...rest);
      if ((await client[count]!.call(client, key)) === 0) await client.del!.call(client, key);
      return reply;
    };
  }
}

/** A fresh in-process store with the room scripts defined, converting like Redis. */
export async function emulatedRedis(): Promise<RedisClient> {
  const { default: RedisMock } = await import('ioredis-mock');
  const client = new RedisMock() as unknown as Record<string, ScriptFn> & {
    defineCommand(name: string, def: { numberOfKeys: number; lua: string }): void;
  };
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) {
    client.defineCommand(name, { numberOfKeys: keys.length, lua: adaptScript(lua) });
    const run = client[name]!;
    client[name] = async (...args) => toRedisValue(await run.apply(client, args));
  }
  markHashFields(client);
  dropEmptiedKeys(client);
  const evalScript = client.eval!;
  client.eval = async (lua, ...args) => toRedisValue(await evalScript.call(client, adaptScript(String(lua)), ...args));
  return client as unknown as RedisClient;
}
