/**
 * The bundles' V8 code cache (scripts/code-cache.ts): V8 accepts the cache the
 * build made, and a cache V8 refuses or one from another V8 build only costs
 * compile time: the function still loads and answers, and says so once in its log.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunctions, bundlePath, ROOT } from '../../scripts/build';
import { BUNDLE_FILE, CACHE_FILE, WARM_UP_ENV, warmUpEvent, writeCodeCache } from '../../scripts/code-cache';
import { encodeReply, parseCommands, startWarmUpServices } from '../../scripts/warm-up-services';
import { defineScripts } from '../../shared/redis';
import { codeCacheWarning } from '../../scripts/deploy-check';
import { BundleProcess } from '../../scripts/invoke';
import { REDIS_URL, testEnv } from '../support/test-env';

// Signs a test push URL: no login, no IM call.
const NAME = 'get_test_pushurl';
const EVENT = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${NAME}.json`), 'utf8')) as unknown;
const PREFIX = `code-cache-${randomBytes(4).toString('hex')}`;
const ENV = { PATH: process.env.PATH, ...testEnv(undefined, PREFIX) };

const cacheEvents = (logs: string[]) => logs.map((line) => (JSON.parse(line) as { event?: string }).event).filter((event) => event?.startsWith('code_cache'));

/** Loads the function in a fresh node as SCF would and answers the event once. */
async function loadAndCall(dir: string): Promise<{ loadLogs: string[]; status: number }> {
  const proc = await BundleProcess.start(join(dir, 'index.js'), { env: ENV, name: NAME });
  try {
    const { response, error } = await proc.invoke(EVENT);
    expect(error).toBeUndefined();
    return { loadLogs: proc.ready.logs, status: (response as { statusCode: number }).statusCode };
  } finally {
    await proc.close();
  }
}

describe('V8 code cache of a built function', () => {
  let outdir: string;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'roomservice-code-cache-'));
    const built = await buildFunctions({ outdir, functions: [NAME] });
    expect(built.problems).toEqual([]);
  }, 60_000);

  afterAll(async () => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    // One key per DEL: keys of several partitions are in several cluster slots (npm run test:cluster).
    for (const key of await redis.keys(`${PREFIX}:*`)) await redis.del(key);
    await redis.quit();
  });

  /** A copy of the built function directory to spoil. */
  const copyOfFunction = () => {
    const dir = mkdtempSync(join(outdir, 'copy-'));
    for (const file of ['index.js', BUNDLE_FILE, CACHE_FILE]) copyFileSync(join(outdir, NAME, file), join(dir, file));
    return dir;
  };

  it('is used: the loader logs nothing about it and the function answers', async () => {
    expect(bundlePath(NAME, outdir)).toBe(join(outdir, NAME, 'index.js'));

    const { loadLogs, status } = await loadAndCall(join(outdir, NAME));

    expect(cacheEvents(loadLogs)).toEqual([]);
    expect(status).toBe(200);
  });

  it('is still used when the heap is sized with V8 flags (as platforms size a function by its memory), and the sizes hold', async () => {
    // NODE_OPTIONS, through the runner SCF-like: the function answers, and no line says the cache went unused.
    const withOptions = await BundleProcess.start(join(outdir, NAME, 'index.js'), { env: { ...ENV, NODE_OPTIONS: '--max-old-space-size=200 --max-semi-space-size=4' }, name: NAME });
    try {
      const { response, error } = await withOptions.invoke(EVENT);
      expect(error).toBeUndefined();
      expect((response as { statusCode: number }).statusCode).toBe(200);
      expect(cacheEvents(withOptions.ready.logs)).toEqual([]);
    } finally {
      await withOptions.close();
    }

    // On node's command line (underscores too), and the heap keeps the size it was started with.
    const probe = `const v8 = require('v8'); const before = v8.getHeapStatistics().heap_size_limit;
require(${JSON.stringify(join(outdir, NAME, 'index.js'))});
console.log(JSON.stringify({ before, after: v8.getHeapStatistics().heap_size_limit }));`;
    const run = spawnSync(process.execPath, ['--max_old_space_size=150', '--max-semi-space-size=2', '-e', probe], { env: ENV, encoding: 'utf8' });
    const lines = run.stdout.trim().split('\n');
    expect(cacheEvents(lines.slice(0, -1))).toEqual([]);
    const heap = JSON.parse(lines.at(-1)!) as { before: number; after: number };
    expect(heap.after).toBe(heap.before);
    expect(heap.before / 2 ** 20).toBeLessThan(200);
  });

  it('rejected by V8 (here: damaged), costs a compile and one log line, not the function', async () => {
    const dir = copyOfFunction();
    writeFileSync(join(dir, CACHE_FILE), Buffer.from('not a code cache'));

    const { loadLogs, status } = await loadAndCall(dir);

    expect(cacheEvents(loadLogs)).toEqual(['code_cache_rejected']);
    expect(status).toBe(200);
  });

  it('made by another V8 build, is not read at all: one log line, the function answers', async () => {
    const dir = copyOfFunction();
    const loader = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(loader).toContain(JSON.stringify(process.versions.v8));
    writeFileSync(join(dir, 'index.js'), loader.replace(JSON.stringify(process.versions.v8), JSON.stringify('10.2.154.26-node.1')));

    const { loadLogs, status } = await loadAndCall(dir);

    expect(cacheEvents(loadLogs)).toEqual(['code_cache_skipped']);
    expect(status).toBe(200);
  });

  it('missing, the function loads without it, silently', async () => {
    const dir = copyOfFunction();
    rmSync(join(dir, CACHE_FILE));

    const { loadLogs, status } = await loadAndCall(dir);

    expect(cacheEvents(loadLogs)).toEqual([]);
    expect(status).toBe(200);
  });
});

describe('code cache bytes', () => {
  it('are the same for the same bundle, build after build (deploys name a package by its hash), though the warm-up talks over sockets', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'roomservice-cache-a-')), mkdtempSync(join(tmpdir(), 'roomservice-cache-b-'))];
    try {
      for (const outdir of dirs) expect((await buildFunctions({ outdir, functions: ['router', 'pusher_heartbeat'] })).problems).toEqual([]);
      for (const name of ['router', 'pusher_heartbeat']) {
        const [a, b] = dirs.map((outdir) => readFileSync(join(outdir, name, CACHE_FILE)));
        expect(a!.length, name).toBeGreaterThan(100_000);
        expect(a!.equals(b!), `${name}: two builds gave different cache bytes`).toBe(true);
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('deploy check on the code cache', () => {
  it('warns when the deploying Node is not the runtime major.minor', () => {
    expect(codeCacheWarning('Nodejs20.19', 'v20.19.5')).toBeUndefined();
    expect(codeCacheWarning('Nodejs20.19', 'v20.20.2')).toMatch(/Node 20\.19\.x.*not be used/);
    expect(codeCacheWarning('Nodejs18.15', 'v20.19.5')).toMatch(/Node 18\.15\.x/);
  });
});

describe('what a warm-up talks to (scripts/warm-up-services.ts)', () => {
  it('a Redis client gets what Redis would answer: scripts by SHA, the NOSCRIPT fallback, hashes, sorted sets, nil', async () => {
    const services = await startWarmUpServices(WARM_UP_ENV);
    const redis = new Redis(services.env.REDIS_URL!, { maxRetriesPerRequest: 0 });
    try {
      defineScripts(redis);
      // A script the bridge does not know by SHA: ioredis falls back to EVAL on NOSCRIPT.
      redis.defineCommand('double', { numberOfKeys: 1, lua: "return redis.call('INCRBY', KEYS[1], ARGV[1] * 2)" });
      expect(await redis.ping()).toBe('PONG');
      expect(await (redis as unknown as { double(key: string, by: number): Promise<number> }).double('n', 21)).toBe(42);
      await redis.hset('h', { a: '1', b: '2' });
      expect(await redis.hgetall('h')).toEqual({ a: '1', b: '2' });
      await redis.zadd('z', 2, 'two', 1, 'one');
      expect(await redis.zrange('z', 0, -1, 'WITHSCORES')).toEqual(['one', '1', 'two', '2']);
      expect(await redis.get('missing')).toBeNull();
      // Lua false is a nil element, as Redis converts it.
      expect(await redis.eval('return {1, "a", false}', 0)).toEqual([1, 'a', null]);
      await expect(redis.evalsha('0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
      await expect(redis.call('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
    } finally {
      redis.disconnect();
      await services.close();
    }
  });

  it('reads commands split across packets, and waits for the rest of a partial one', () => {
    const wire = Buffer.from('*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n');
    const cut = wire.length - 4;
    const first = parseCommands(wire.subarray(0, cut));
    expect(first.commands).toEqual([['PING']]);
    expect(parseCommands(wire.subarray(first.used)).commands).toEqual([['SET', 'k', 'value']]);
    expect(() => parseCommands(Buffer.from('PING\r\n'))).toThrow(/not a RESP array/);
    expect(encodeReply(['a', 1, null, { f: 'v' }])).toBe('*4\r\n$1\r\na\r\n:1\r\n$-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
  });

  it('warm-ups reach the endpoint itself: check_config answers, login takes a UserSig, a signed-in route its token, a callback its signature', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'roomservice-warm-up-'));
    const names = ['router', 'login', 'pusher_heartbeat', 'live_stream', 'trtc'];
    try {
      const built = await buildFunctions({ outdir, functions: names, codeCache: false });
      expect(built.problems).toEqual([]);
      const answers: Record<string, unknown> = {};
      for (const name of names) {
        // Without a code cache index.js is the bundle itself; the warm-up reads bundle.js.
        copyFileSync(join(outdir, name, 'index.js'), join(outdir, name, BUNDLE_FILE));
        answers[name] = (await writeCodeCache(join(outdir, name), name, warmUpEvent(join(ROOT, 'events'), name))).answer;
      }

      expect(answers.router).toEqual({ statusCode: 200, code: 0 });
      expect(answers.login).toEqual({ statusCode: 200, code: 0 });
      // Signed in, the heartbeat reaches its room script: alice is in no room of the fresh store (code 5), not refused (7).
      expect(answers.pusher_heartbeat).toEqual({ statusCode: 200, code: 5 });
      // Signed as Tencent signs them (a refused signature answers 403 with code 7).
      expect(answers.live_stream).toEqual({ statusCode: 200, code: 0 });
      expect(answers.trtc).toEqual({ statusCode: 200, code: 0 });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
