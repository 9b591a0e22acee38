/**
 * README's first command as a person runs it: `npm start` (after `npm ci`,
 * which .ci/run does on a fresh clone before `npm test`) starts the local
 * gateway in its own process; it answers over HTTP, on the embedded store
 * with nothing configured and on a real Redis with REDIS_URL set, and stops
 * on SIGTERM. The curl session itself runs in readme.test.ts (in-process);
 * the other documented commands run in .ci/commands.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Cluster } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { REDIS_CLUSTER, REDIS_URL } from '../support/test-env';
import { connectRedis } from '../../shared/redis';

/** A port nobody listens on right now (the OS picks it; the gateway's PORT must be 1-65535). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Started[] = [];

/** `npm start` in its own process group (npm, sh, tsx and node), with only `env` (plus PATH and HOME). */
function npmStart(env: Record<string, string>): Started {
  const child = spawn('npm', ['start'], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const started = { child, output: () => text, exited };
  running.push(started);
  return started;
}

async function waitFor(started: Started, text: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!started.output().includes(text)) {
    if (started.child.exitCode !== null) throw new Error(`npm start exited (${started.child.exitCode}):\n${started.output()}`);
    if (Date.now() > until) throw new Error(`npm start did not print "${text}" within ${ms} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM to the whole group, as a terminal's Ctrl-C reaches every process of it. */
async function stop(started: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (started.child.exitCode === null && started.child.signalCode === null) process.kill(-started.child.pid!, 'SIGTERM');
  return started.exited;
}

/** Whether the gateway stopped listening within `ms` (npm exits first; node under tsx may take a moment longer). */
async function portClosed(base: string, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await fetch(`${base}/openapi.json`);
    } catch {
      return true;
    }
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

afterEach(async () => {
  for (const started of running.splice(0)) {
    await Promise.race([stop(started), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    try {
      process.kill(-started.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const json = async (url: string, init?: RequestInit) => (await (await fetch(url, init)).json()) as Record<string, unknown> & { code: number };

describe("README's two commands", () => {
  it('are `npm ci && npm start` and `npm test`, the ones .ci/run and this file run', () => {
    const first = /```bash\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1]!;
    const commands = first.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm ci && npm start', 'npm test']);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});

describe('npm start (README, first command)', () => {
  it('with nothing configured: the embedded store, development keys; answers, serves the dashboard with ADMIN_API_KEY, and stops on SIGTERM', async () => {
    const port = await freePort();
    const adminKey = randomBytes(24).toString('hex');
    const started = npmStart({ PORT: String(port), ADMIN_API_KEY: adminKey });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(started, `RoomService local gateway on ${base}`);
    expect(started.output()).toContain('in-process Redis emulation');

    const info = await json(`${base}/weapp/utils/get_login_info?userID=ci-probe`);
    expect(info).toMatchObject({ code: 0, userID: 'ci-probe' });
    expect(typeof info.userSig).toBe('string');
    const page = await fetch(`${base}/admin/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect(await json(`${base}/admin/rooms`, { headers: { authorization: `Bearer ${adminKey}` } })).toMatchObject({ code: 0, rooms: [] });

    await stop(started);
    expect(await portClosed(base, 10_000), 'the gateway still answers 10 s after SIGTERM').toBe(true);
  }, 90_000);

  it('with REDIS_URL set: the real Redis, keys under REDIS_KEY_PREFIX', async () => {
    const port = await freePort();
    const prefix = `npmstart-${randomBytes(4).toString('hex')}`;
    const started = npmStart({ PORT: String(port), REDIS_URL, REDIS_KEY_PREFIX: prefix });
    const base = `http://127.0.0.1:${port}`;
    // On the cluster run (npm run test:cluster) REDIS_URL names a cluster node: read every master.
    const redis = connectRedis(REDIS_URL, REDIS_CLUSTER);
    const keysUnder = async (pattern: string): Promise<string[]> =>
      redis instanceof Cluster ? (await Promise.all(redis.nodes('master').map((node) => node.keys(pattern)))).flat() : redis.keys(pattern);
    try {
      await waitFor(started, `RoomService local gateway on ${base}`);
      expect(started.output()).toContain(`Redis at ${REDIS_URL}`);
      const info = await json(`${base}/weapp/utils/get_login_info?userID=ci-probe`);
      expect(info).toMatchObject({ code: 0, userID: 'ci-probe' });
      // The utilities' IP quota is counted in Redis: the request reached it under the prefix.
      expect((await keysUnder(`${prefix}:*`)).length).toBeGreaterThan(0);
      await stop(started);
      expect(await portClosed(base, 10_000), 'the gateway still answers 10 s after SIGTERM').toBe(true);
    } finally {
      // One key per DEL: a cluster refuses a DEL whose keys sit in different slots.
      for (const key of await keysUnder(`${prefix}:*`)) await redis.del(key);
      await redis.quit();
    }
  }, 90_000);
});
