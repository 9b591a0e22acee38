/**
 * The deploy's preflight (scripts/deploy-preflight.ts): each deploy that
 * cannot work is refused before any cloud call, with exit code 1 and the
 * setting named. The refusals run through `npm run deploy`'s main with the
 * toolkit recorder installed, so "no cloud call" is observed, not assumed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../scripts/build';
import { main as deployMain } from '../../scripts/deploy';
import { buildPlan } from '../../scripts/deploy-plan';
import { SCF_ENVIRONMENT_BYTES, environmentBytes, isPrivateIPv4, preflight } from '../../scripts/deploy-preflight';
import { CLOUD, CLOUD_ENV } from '../support/harness';
import { installToolkitRecorder, type ToolkitRecorder } from '../support/toolkit-recorder';

/** A deploy the preflight lets through: everything set, Redis in the VPC, a role, JWT sign-in. */
function goodEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    REDIS_URL: 'redis://:pw-5d1e@10.0.0.12:6379',
    ...CLOUD_ENV,
    CLOUD_API_SECRET_ID: undefined,
    CLOUD_API_SECRET_KEY: undefined,
    AUTH_MODE: 'jwt',
    AUTH_JWT_SECRET: 'j'.repeat(32),
    VPC_ID: 'vpc-abc12345',
    SUBNET_ID: 'subnet-def67890',
    EXECUTION_ROLE: 'RoomServiceRole',
    TENCENT_SECRET_ID: 'AKIDrecordertest',
    TENCENT_SECRET_KEY: 'recorder-deploy-key',
    ...extra,
  };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete env[name];
  return env;
}

const problemsOf = (env: NodeJS.ProcessEnv, file = 'serverless.yml') => preflight(buildPlan(file, env), env);

describe('preflight rules', () => {
  it('lets a complete deploy through', () => {
    expect(problemsOf(goodEnv())).toEqual([]);
    expect(problemsOf(goodEnv({ EXECUTION_ROLE: undefined, CLOUD_API_SECRET_ID: CLOUD.cloudSecretId, CLOUD_API_SECRET_KEY: CLOUD.cloudSecretKey }))).toEqual([]);
    expect(problemsOf(goodEnv({ AUTH_MODE: 'demo', DEPLOY_ALLOW_DEMO_AUTH: 'yes' }))).toEqual([]);
  });

  it.each(['10.0.0.12', '172.16.5.4', '172.31.255.1', '192.168.1.20', '100.64.0.7', '100.127.3.3'])('refuses REDIS_URL at %s without VPC_ID/SUBNET_ID', (host) => {
    // Act
    const problems = problemsOf(goodEnv({ REDIS_URL: `redis://:pw@${host}:6379`, VPC_ID: undefined }));

    // Assess
    expect(problems).toEqual([`REDIS_URL is at the private address ${host}, reachable only inside its VPC: set VPC_ID and SUBNET_ID (the Redis instance's VPC and a subnet in it)`]);
  });

  it('lets a public Redis address through without a VPC, and knows the edges of the private ranges', () => {
    expect(problemsOf(goodEnv({ REDIS_URL: 'rediss://:pw@203.0.113.9:6380', VPC_ID: undefined, SUBNET_ID: undefined }))).toEqual([]);
    expect(['172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '11.0.0.1', '192.169.0.1'].filter(isPrivateIPv4)).toEqual([]);
    expect(['10.255.255.255', '172.16.0.0', '192.168.255.255', '100.64.0.0'].every(isPrivateIPv4)).toBe(true);
  });

  it("refuses a function whose variables exceed SCF's 4 KB, naming the largest", () => {
    // Prepare: a long but valid list of reserved user ids.
    const ids = Array.from({ length: 400 }, (_, i) => `reserved-user-${i}`).join(',');
    const env = goodEnv({ AUTH_RESERVED_USER_IDS: ids });

    // Act
    const plan = buildPlan('serverless.yml', env);
    const problems = preflight(plan, env);

    // Assess
    const bytes = environmentBytes(plan.functions[0]!.environment);
    expect(bytes).toBeGreaterThan(SCF_ENVIRONMENT_BYTES);
    expect(problems).toEqual(
      ['router', 'sweeper'].map((fn) => `function ${fn}: its variables take ${bytes} bytes, over SCF's 4096 (largest: AUTH_RESERVED_USER_IDS ${ids.length} B, IM_SECRET_KEY 64 B, AUTH_JWT_SECRET 32 B); unset the ones left at their default`),
    );
  });

  it('refuses neither an execution role nor CLOUD_API_SECRET_ID/KEY, naming the features that need them', () => {
    const problems = problemsOf(goodEnv({ EXECUTION_ROLE: undefined }));
    expect(problems).toEqual([expect.stringMatching(/^neither EXECUTION_ROLE nor CLOUD_API_SECRET_ID\/CLOUD_API_SECRET_KEY is set: .*merge_stream, CHECK_STREAM_BEFORE_EVICT, webrtc_room/)]);
  });

  it.each([
    ['AUTH_MODE=demo', { AUTH_MODE: 'demo' }],
    ['AUTH_MODE unset (demo by default)', { AUTH_MODE: undefined }],
    ['a confirmation other than yes', { AUTH_MODE: 'demo', DEPLOY_ALLOW_DEMO_AUTH: 'true' }],
  ])('refuses %s unless DEPLOY_ALLOW_DEMO_AUTH=yes confirms it', (_case, extra) => {
    const problems = problemsOf(goodEnv(extra));
    expect(problems).toEqual([expect.stringMatching(/^AUTH_MODE is demo \(its default\): anyone can sign in as anyone; .*DEPLOY_ALLOW_DEMO_AUTH=yes$/)]);
  });

  describe('descriptions', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'roomservice-preflight-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('refuses characters the SCF API does not take, and passes letters, digits, spaces, commas, periods and Chinese', () => {
      // Prepare
      const original = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
      const bad = join(dir, 'bad.yml');
      const chinese = join(dir, 'chinese.yml');
      writeFileSync(bad, original.replace('description: RoomService router, every route behind its Function URL', 'description: RoomService router (all routes; Function-URL)'));
      writeFileSync(chinese, original.replace('description: RoomService router, every route behind its Function URL', 'description: 房间服务路由, 所有接口. Router 2'));

      // Act
      const refused = problemsOf(goodEnv(), bad);
      const passed = problemsOf(goodEnv(), chinese);

      // Assess
      expect(refused).toEqual(['function router: description has characters SCF refuses ("(" ";" "-" ")"); it takes letters, digits, spaces, commas, periods, newlines and Chinese']);
      expect(passed).toEqual([]);
    });
  });
});

describe('npm run deploy stops at the preflight', () => {
  let recorder: ToolkitRecorder;
  let printed: () => string;
  beforeEach(() => {
    recorder = installToolkitRecorder();
    const output = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    printed = () => output.mock.calls.map(([chunk]) => String(chunk)).join('');
  });
  afterEach(() => {
    recorder.restore();
    vi.restoreAllMocks();
  });

  it.each([
    ['a private Redis without the VPC', { VPC_ID: undefined }, 'VPC_ID and SUBNET_ID'],
    ['no role and no Cloud API key', { EXECUTION_ROLE: undefined }, 'EXECUTION_ROLE'],
    ['demo sign-in unconfirmed', { AUTH_MODE: 'demo' }, 'DEPLOY_ALLOW_DEMO_AUTH=yes'],
    ['variables over 4 KB', { AUTH_RESERVED_USER_IDS: 'x'.repeat(5000) }, "over SCF's 4096"],
  ])('%s: exit 1, the setting named, no cloud call, no secret printed', async (_case, extra, named) => {
    // Act
    const code = await deployMain([], goodEnv(extra));

    // Assess
    expect(code).toBe(1);
    expect(printed()).toMatch(/^FAIL this deploy cannot work; change these settings/m);
    expect(printed()).toContain(named);
    expect(recorder.calls).toEqual([]);
    for (const secret of ['pw-5d1e', 'recorder-deploy-key', CLOUD.secretKey]) expect(printed()).not.toContain(secret);
  });

  it('the dry run lists the same refusals as problems and exits 1', async () => {
    const code = await deployMain(['--dry-run', '--json'], goodEnv({ VPC_ID: undefined }));
    const plan = JSON.parse(printed()) as { problems: string[] };
    expect(code).toBe(1);
    expect(plan.problems).toEqual([expect.stringMatching(/^REDIS_URL is at the private address 10\.0\.0\.12/)]);
    expect(recorder.calls).toEqual([]);
  });
});
