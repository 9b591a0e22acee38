/**
 * The embedded store's adapter (scripts/emulated-redis.ts): each Lua construct
 * that ioredis-mock converted differently from Redis answers the same on both.
 * Without the adapter the first cases answer undefined (or throw from a
 * closed Lua state) and the hash-field cases lose or invent fields.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatedRedis } from '../../scripts/emulated-redis';
import type { RedisClient } from '../../shared/redis';
import { REDIS_CLUSTER, REDIS_URL } from '../support/harness';

const prefix = `test-emu-${randomBytes(3).toString('hex')}`;
// One hash tag: every key of a case is in one Cluster slot.
const key = (name: string) => `${prefix}:{emu}:${name}`;
let real: RedisClient;
let embedded: RedisClient;

beforeAll(async () => {
  real = REDIS_CLUSTER ? new Redis.Cluster([REDIS_URL]) : new Redis(REDIS_URL);
  embedded = await emulatedRedis();
  for (const store of [real, embedded]) {
    await store.hset(key('h'), 'k1', 'v1', 'k2', 'v2');
    await store.zadd(key('z'), 1, 'a', 2, 'b');
  }
});
afterAll(async () => {
  await real.del(key('h'), key('z'), key('p'));
  await real.quit();
  await embedded.quit();
});

const CASES: Record<string, string> = {
  'a table grown in ascending order': `local t = {'OK', 'a'}; t[3] = redis.call('HLEN', KEYS[1]); t[#t + 1] = 'x'; return t`,
  'a list built by appending, nested': `local rows = {}; for i = 1, 3 do rows[#rows + 1] = {i, 'r' .. i} end; return {'OK', rows}`,
  'table.remove on a reply row': `local d = {'x', 'y', redis.call('HGETALL', KEYS[1])}; table.remove(d, 1); d[#d + 1] = 1; return d`,
  'a nil bulk inside a redis.call reply is false': `local m = redis.call('HMGET', KEYS[1], 'k1', 'nope'); return {m[1] or 'd1', m[2] or 'd2', type(m)}`,
  'a reply stops at the first nil': `return {1, 2, nil, 4}`,
  'false, true and floats convert like Redis': `return {'a', false, true, 2.7, -2.7}`,
  'unpack of a redis.call reply': `return redis.call('HMGET', KEYS[1], unpack(redis.call('ZRANGE', KEYS[2], 0, -1)))`,
  'ZRANGE WITHSCORES gives strings': `local f = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES'); return {type(f[2]), f[2]}`,
  'hash fields named like Object.prototype members': `redis.call('DEL', KEYS[3]); redis.call('HSET', KEYS[3], '__proto__', 'p', 'x', '1')
    return {redis.call('HLEN', KEYS[3]), redis.call('HEXISTS', KEYS[3], '__proto__'), redis.call('HGET', KEYS[3], 'toString') or 'none',
      redis.call('HEXISTS', KEYS[3], 'constructor'), redis.call('HGETALL', KEYS[3]), redis.call('HKEYS', KEYS[3])}`,
  'a sorted set or list emptied by a script is gone': `redis.call('DEL', KEYS[3]); redis.call('ZADD', KEYS[3], 1, 'a'); redis.call('ZREM', KEYS[3], 'a')
    local afterZrem = redis.call('EXISTS', KEYS[3])
    redis.call('ZADD', KEYS[3], 1, 'a'); redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '+inf')
    local afterRange = redis.call('EXISTS', KEYS[3])
    redis.call('RPUSH', KEYS[3], 'a'); redis.call('LTRIM', KEYS[3], 1, 0)
    return {afterZrem, afterRange, redis.call('EXISTS', KEYS[3])}`,
  // What the event log and the webhook scripts rely on (shared/rooms/lua/helpers/events.lua, shared/events/lua).
  'the event log\'s commands: INCR, ZRANGE -1 WITHSCORES, exclusive ZRANGEBYSCORE, HINCRBY, sorted HKEYS, %c escaping': `local h = KEYS[3] .. ':ev'
    local n = redis.call('INCR', h .. 'n'); redis.call('DEL', h .. 'n')
    local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
    local after = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. '1', '+inf', 'LIMIT', 0, 10)
    redis.call('HSET', h, 'zed', '1', 'amy', '2'); local keys = redis.call('HKEYS', h); table.sort(keys)
    local q = redis.call('HINCRBY', h, 'q', 1)
    redis.call('DEL', h)
    local escaped = string.gsub('a"b' .. string.char(92, 10, 1), '[%c"\\\\]', function(c) return string.format('\\\\u%04x', string.byte(c)) end)
    return {n, string.format('%d', n + 1), top, after, keys, q, escaped}`,
};

describe('embedded store converts script values like Redis', () => {
  it.each(Object.entries(CASES))('%s', async (_name, lua) => {
    const keys = [key('h'), key('z'), key('p')];
    const expected = await real.eval(lua, keys.length, ...keys);
    expect(expected).not.toBeUndefined();
    expect(await embedded.eval(lua, keys.length, ...keys)).toEqual(expected);
  });

  it('a sorted set emptied by the client is gone', async () => {
    const answers = [];
    for (const store of [real, embedded]) {
      await store.zadd(key('p'), 1, 'a');
      await store.zrem(key('p'), 'a');
      answers.push(await store.exists(key('p')));
    }
    expect(answers).toEqual([0, 0]);
  });

  it('client hash commands see the same fields as the scripts', async () => {
    const answers = [];
    for (const store of [real, embedded]) {
      await store.del(key('p'));
      await store.hset(key('p'), '__proto__', 'p', 'constructor', 'c');
      answers.push([await store.hkeys(key('p')), await store.hget(key('p'), 'toString'), await store.hexists(key('p'), '__proto__'), await store.hgetall(key('p'))]);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]![0]).toEqual(['__proto__', 'constructor']);
  });
});

describe('known differences the scripts work around', () => {
  it("fengari's integers are 32-bit: %d cannot format a time in ms there, so the webhook scripts take moments from the caller", async () => {
    const lua = `return string.format('%d', tonumber(ARGV[1]) + 1000)`;
    expect(await real.eval(lua, 0, '1796429237615')).toBe('1796429238615');
    await expect(embedded.eval(lua, 0, '1796429237615')).rejects.toThrow(/integer representation/);
  });
});
