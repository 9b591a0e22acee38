/**
 * Deploy and operate: the deployment files match the code, and every built
 * bundle answers its console test event the way SCF would run it: in a fresh
 * Node process, against the real Redis and the loopback fake of the IM and live
 * APIs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis, { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBudget, buildFunctions, bundlePath, functionNames, type BuildResult } from '../../scripts/build';
import { DEPLOYED_FUNCTIONS, DEPLOY_FILE, checkServerlessFile, loadYaml } from '../../scripts/deploy-check';
import { BundleProcess, eventPath, failedResponse, readEvent, runBundle, type Invocation } from '../../scripts/invoke';
import type { FakeCloud } from '../support/fake-cloud';
import { REDIS_CLUSTER, REDIS_URL, startTestCloud, testEnv } from '../support/harness';

const FUNCTIONS = functionNames();
/** Endpoints whose console test event needs no login, so they answer code 0. */
const ANSWERS_OK = new Set(['check_config', 'get_login_info', 'get_test_pushurl', 'get_test_rtmpaccurl', 'router', 'sweeper']);

interface Envelope {
  statusCode: number;
  body: { code: number; message: string } & Record<string, unknown>;
}

/** An HTTP answer (API Gateway / Function URL integration response) with its envelope parsed. */
function envelope(invocation: Invocation): Envelope {
  expect(invocation.error).toBeUndefined();
  const response = invocation.response as { statusCode: number; body: string };
  expect(typeof response.statusCode).toBe('number');
  expect(typeof response.body).toBe('string');
  const body = JSON.parse(response.body) as Envelope['body'];
  expect(typeof body.code).toBe('number');
  expect(typeof body.message).toBe('string');
  return { statusCode: response.statusCode, body };
}

const requestLog = (invocation: Invocation): Record<string, unknown> => {
  const lines = invocation.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  const request = lines.find((line) => line.event === 'request');
  expect(request, `a request log line among ${invocation.logs.join('\n')}`).toBeDefined();
  return request!;
};

function redisAdmin(): Redis | Cluster {
  return REDIS_CLUSTER ? new Redis.Cluster([REDIS_URL]) : new Redis(REDIS_URL);
}

async function masters(redis: Redis | Cluster): Promise<Redis[]> {
  if (!('nodes' in redis)) return [redis];
  // A new cluster client lists no node until it is ready.
  await redis.ping();
  return redis.nodes('master');
}

describe('deployment file', () => {
  it('deploys router and sweeper, both built from functions/', () => {
    // Prepare
    const declared = Object.keys((loadYaml(DEPLOY_FILE) as { functions: Record<string, unknown> }).functions).sort();

    // Assess
    expect(declared).toEqual([...DEPLOYED_FUNCTIONS].sort());
    expect(FUNCTIONS).toEqual(expect.arrayContaining([...DEPLOYED_FUNCTIONS]));
  });

  it('passes the offline deploy check', () => {
    const report = checkServerlessFile(DEPLOY_FILE, { skipDist: true, env: {} });
    expect(report.problems).toEqual([]);
    expect(report.functions).toEqual(['router', 'sweeper']);
  });
});

describe('built bundles in fresh processes', () => {
  let outdir: string;
  let built: BuildResult;
  let fake: FakeCloud;
  let env: NodeJS.ProcessEnv;
  const prefix = `deploy-${randomBytes(4).toString('hex')}`;
  const bundle = (name: string) => bundlePath(name, outdir);

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'roomservice-dist-'));
    [built, fake] = await Promise.all([
      buildFunctions({ outdir }),
      startTestCloud(),
    ]);
    // Only what SCF would give the function: PATH and the service's own variables.
    env = { PATH: process.env.PATH, ...testEnv(undefined, prefix, { IM_API_BASE_URL: fake.imBaseUrl, CLOUD_API_BASE_URL: fake.cloudBaseUrl, ADMIN_API_KEY: 'deploy-test-admin-key-0123456789abcdef' }) };
    // The build runs every function once for its V8 code cache (~0.3 s each, more on a loaded machine).
  }, 180_000);

  afterAll(async () => {
    const redis = redisAdmin();
    for (const node of await masters(redis)) {
      // One key per DEL: on a cluster the keys of several partitions are in several slots (CROSSSLOT).
      for (const key of await node.keys(`${prefix}:*`)) await node.del(key);
    }
    await redis.quit();
    await fake?.close();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it('builds one bundle per function, each under the size limit, without devDependencies', () => {
    expect(built.problems).toEqual([]);
    expect(Object.keys(built.manifest).sort()).toEqual(FUNCTIONS);
    for (const [name, { bytes }] of Object.entries(built.manifest)) expect(bytes, name).toBeLessThanOrEqual(bundleBudget(name));
  });

  it.each(FUNCTIONS)('%s answers its console test event with a protocol envelope', async (name) => {
    // Act
    const { invocations, exitCode, stderr } = await runBundle(bundle(name), [readEvent(eventPath(name))], { env, name });

    // Assess
    expect(exitCode, stderr).toBe(0);
    const [first] = invocations;
    if (name === 'sweeper') {
      // A timer trigger gets no HTTP response: the sweeper returns its report.
      expect(first!.error).toBeUndefined();
      expect(first!.response).toMatchObject({ code: 0, message: expect.any(String) });
      return;
    }
    const { statusCode, body } = envelope(first!);
    expect(statusCode).toBeLessThan(500);
    if (ANSWERS_OK.has(name)) expect(body, JSON.stringify(body)).toMatchObject({ code: 0 });
    // The others need a real login token (admin: the real ADMIN_API_KEY, 401 without), which a stored event cannot hold.
    else expect(name === 'admin' ? [401] : [0, 7]).toContain(body.code);
  });

  it.each(['router', 'get_room_list'])('%s answers an event of unknown shape with 400 naming the accepted shapes', async (name) => {
    const { invocations, exitCode } = await runBundle(bundle(name), [{ hello: 'world' }], { env, name });

    expect(exitCode).toBe(0);
    const { statusCode, body } = envelope(invocations[0]!);
    expect(statusCode).toBe(400);
    expect(body.code).toBe(1);
    expect(body.message).toMatch(/accepted event shapes/);
    expect(body.message).toMatch(/API Gateway/);
    expect(body.message).toMatch(/Function URL/);
    expect(body.message).toMatch(/console test object/);
  });

  it('answers a missing variable with a config error naming it, without crashing', async () => {
    // Prepare
    const { IM_SECRET_KEY: _unset, ...incomplete } = env;

    // Act
    const endpoint = await runBundle(bundle('check_config'), [readEvent(eventPath('check_config'))], { env: incomplete, name: 'check_config' });
    const sweeper = await runBundle(bundle('sweeper'), [readEvent(eventPath('sweeper'))], { env: incomplete, name: 'sweeper' });

    // Assess
    expect(endpoint.exitCode).toBe(0);
    const { statusCode, body } = envelope(endpoint.invocations[0]!);
    expect(statusCode).toBe(500);
    expect(body.code).toBe(5002);
    expect(body.message).toContain('IM_SECRET_KEY');
    expect(sweeper.exitCode).toBe(0);
    expect(sweeper.invocations[0]!.response).toMatchObject({ code: 5002, message: expect.stringContaining('IM_SECRET_KEY') });
  });

  it.each(['router', 'check_config', 'sweeper'])('%s without REDIS_URL answers 5002 naming it (not a generic 500), and invoke counts that as a failure', async (name) => {
    // Prepare
    const { REDIS_URL: _unset, ...withoutRedis } = env;

    // Act
    const { invocations, exitCode } = await runBundle(bundle(name), [readEvent(eventPath(name))], { env: withoutRedis, name });

    // Assess
    expect(exitCode).toBe(0);
    const response = invocations[0]!.response;
    const body = name === 'sweeper' ? (response as Envelope['body']) : envelope(invocations[0]!).body;
    if (name !== 'sweeper') expect(envelope(invocations[0]!).statusCode).toBe(500);
    expect(body.code).toBe(5002);
    expect(body.message).toContain('REDIS_URL is required');
    expect(failedResponse(response)).toBe(true);
  });

  it('reuses one Redis connection across invocations and logs coldStart only on the first', async () => {
    // Prepare: ioredis takes options from the URL's query, so this process's connections carry a name of their own.
    const clientName = `deploy-test-${randomBytes(4).toString('hex')}`;
    const url = `${env.REDIS_URL}${env.REDIS_URL!.includes('?') ? '&' : '?'}connectionName=${clientName}`;
    const redis = redisAdmin();
    /** The named connection(s) of the bundle process, as `id@port`. */
    const connections = async () => {
      const ids: string[] = [];
      for (const node of await masters(redis)) {
        const list = (await node.client('LIST')) as string;
        for (const line of list.split('\n')) if (line.includes(` name=${clientName} `)) ids.push(`${/\bid=(\d+)/.exec(line)?.[1]}@${node.options.port}`);
      }
      return ids;
    };
    const event = readEvent(eventPath('check_config'));
    const proc = await BundleProcess.start(bundle('check_config'), { env: { ...env, REDIS_URL: url }, name: 'check_config' });

    try {
      // Act
      const first = await proc.invoke(event);
      const afterFirst = await connections();
      const second = await proc.invoke(event);
      const afterSecond = await connections();

      // Assess
      expect(envelope(first).body.code).toBe(0);
      expect(envelope(second).body.code).toBe(0);
      expect(requestLog(first).coldStart).toBe(true);
      expect(requestLog(second)).not.toHaveProperty('coldStart');
      // Never a second named connection, and never a replaced one.
      expect(new Set([...afterFirst, ...afterSecond]).size).toBeLessThanOrEqual(1);
      // A cluster client names only its startup node's connection, which opens
      // lazily on the first command routed there (maybe not in these two calls).
      if (!REDIS_CLUSTER) expect([afterFirst.length, afterSecond]).toEqual([1, afterFirst]);
    } finally {
      expect(await proc.close()).toBe(0);
      await redis.quit();
    }
  });
});
