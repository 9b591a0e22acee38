/**
 * `sls` as operators run it: the real Serverless Framework binary
 * (node_modules/serverless/bin/serverless.js, what node_modules/.bin/serverless
 * runs) in a child process, in a copy of the project, with the settings in the
 * copy's `.env`. Tencent's Cloud APIs are answered by the toolkit recorder,
 * preloaded into the child (tests/support/recorded-cli.cjs), which also
 * records any other attempt to reach the network: the Framework's own
 * telemetry must stay off (the repository's .serverlessrc).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { CLOUD, CLOUD_ENV } from '../support/harness';
import type { RecordedCall } from '../support/toolkit-recorder';

const REDIS_PASSWORD = 'redis-pass-7f3a9c';
const DEPLOY_KEY = 'recorder-deploy-key-5be1';

/** The operator's .env: the service's settings and the deploy's own (STAGE/REGION overridden by the flags in most runs). */
const SETTINGS: Record<string, string> = {
  REDIS_URL: `redis://:${REDIS_PASSWORD}@10.0.0.12:6379`,
  ...(CLOUD_ENV as Record<string, string>),
  LIVE_PLAY_SECRET_KEY: 'f'.repeat(32),
  AUTH_MODE: 'demo',
  DEPLOY_ALLOW_DEMO_AUTH: 'yes',
  HEARTBEAT_TIMEOUT: '20',
  STAGE: 'dev',
  REGION: 'ap-guangzhou',
  VPC_ID: 'vpc-abc12345',
  SUBNET_ID: 'subnet-def67890',
  EXECUTION_ROLE: 'RoomServiceRole',
  TENCENT_SECRET_ID: 'AKIDrecordertest',
  TENCENT_SECRET_KEY: DEPLOY_KEY,
};
/**
 * Each command is a Framework start, a tsx load of the deploy code and often an
 * esbuild build: seconds alone, minutes on a 2-core machine shared with other
 * suites. Generous, so load never fails these tests; a hang still does.
 */
const SLOW = 300_000;

const SECRETS = [REDIS_PASSWORD, DEPLOY_KEY, CLOUD.secretKey, CLOUD.pushSecretKey, CLOUD.cloudSecretKey];

interface Run {
  code: number;
  output: string;
  calls: RecordedCall[];
  attempts: string[];
}

let project: string;
let home: string;
let runs = 0;

/** Copies the project (no node_modules, .git, build output or the developer's own .env) and links node_modules. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'roomservice-sls-'));
  const skipped = /^(node_modules|\.git|dist|\.serverless|coverage|\.env)$/;
  cpSync(ROOT, dir, { recursive: true, filter: (source) => !skipped.test(relative(ROOT, source).split('/')[0] ?? '') });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const writeDotEnv = (settings: Record<string, string>) =>
  writeFileSync(join(project, '.env'), Object.entries(settings).map(([name, value]) => `${name}=${value}`).join('\n') + '\n');

/**
 * One command in a child process with the recorder preloaded; `state` names
 * the fake cloud to deploy into (kept in a file across processes).
 */
async function run(command: string[], options: { tz?: string; state?: string; env?: Record<string, string> } = {}): Promise<Run> {
  runs += 1;
  const out = join(home, `out-${runs}.json`);
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    TZ: options.tz ?? 'UTC',
    RECORDER_OUT: out,
    RECORDER_STATE: join(home, `${options.state ?? `state-${runs}`}.json`),
    ...options.env,
  };
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(process.execPath, ['--require', join(project, 'tests/support/recorded-cli.cjs'), ...command], { cwd: project, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
  const recorded = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { calls: RecordedCall[]; attempts: string[] }) : { calls: [], attempts: ['(the process wrote no record)'] };
  return { code, output, ...recorded };
}

const sls = (args: string[], options?: Parameters<typeof run>[1]) => run(['node_modules/serverless/bin/serverless.js', ...args], options);
const npmDeploy = (args: string[], options?: Parameters<typeof run>[1]) => run(['--import', 'tsx', 'scripts/deploy.ts', ...args], options);

/** What a deploy asked of the cloud: every call but the COS object names' randomness (there is none: the zips are deterministic). */
const cloudCalls = (calls: RecordedCall[]) => calls.map(({ service, region, action, params }) => ({ service, region, action, params }));
const baseUrl = (output: string) => /^base URL: (\S+)$/m.exec(output)?.[1];

beforeAll(() => {
  project = copyProject();
  home = mkdtempSync(join(tmpdir(), 'roomservice-sls-home-'));
  writeDotEnv(SETTINGS);
});
afterAll(() => {
  for (const dir of [project, home]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sls deploy through the Framework binary', () => {
  it('deploys in TZ=UTC and TZ=Asia/Shanghai exactly what npm run deploy deploys: functions, variables, triggers, URL', async () => {
    // Act: three deploys into three empty clouds, all with --stage prod --region ap-shanghai.
    const flags = ['--stage', 'prod', '--region', 'ap-shanghai'];
    const npm = await npmDeploy(flags, { state: 'npm' });
    const utc = await sls(['deploy', ...flags], { tz: 'UTC', state: 'utc' });
    const shanghai = await sls(['deploy', ...flags], { tz: 'Asia/Shanghai', state: 'shanghai' });

    // Assess
    for (const [name, result] of Object.entries({ npm, utc, shanghai })) {
      expect(result.code, `${name}: ${result.output}`).toBe(0);
      expect(result.attempts, name).toEqual([]);
      for (const secret of SECRETS) expect(result.output, name).not.toContain(secret);
    }
    const created = npm.calls.filter((c) => c.action === 'CreateFunction');
    expect(created.map((c) => c.params.FunctionName)).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
    expect(created.every((c) => c.region === 'ap-shanghai' && c.params.Runtime === 'Nodejs20.19')).toBe(true);
    const variables = Object.fromEntries(created[0]!.params.Environment.Variables.map((v: { Key: string; Value: string }) => [v.Key, v.Value]));
    expect(variables).toMatchObject({ REDIS_URL: SETTINGS.REDIS_URL, IM_SECRET_KEY: CLOUD.secretKey, HEARTBEAT_TIMEOUT: '20' });
    expect(variables).not.toHaveProperty('TENCENT_SECRET_KEY');
    expect(npm.calls.filter((c) => c.action === 'CreateTrigger').map((c) => `${c.params.Type}:${c.params.FunctionName}`)).toEqual([
      'http:roomservice-prod-roomservice-router',
      'timer:roomservice-prod-roomservice-sweeper',
    ]);
    expect(baseUrl(npm.output)).toBe('https://1250000000-url1.ap-shanghai.tencentscf.com');
    // The same cloud calls, call for call (the code packages are byte-identical), and the same URL.
    expect(cloudCalls(utc.calls)).toEqual(cloudCalls(npm.calls));
    expect(cloudCalls(shanghai.calls)).toEqual(cloudCalls(npm.calls));
    expect([baseUrl(utc.output), baseUrl(shanghai.output)]).toEqual([baseUrl(npm.output), baseUrl(npm.output)]);
  }, 3 * SLOW);

  it('without the deploy key exits non-zero saying so, before any build or cloud call, printing no secret', async () => {
    // Prepare
    const { TENCENT_SECRET_ID: _id, TENCENT_SECRET_KEY: _key, ...withoutKey } = SETTINGS;
    writeDotEnv(withoutKey);
    rmSync(join(project, '.serverless'), { recursive: true, force: true });

    try {
      // Act
      const result = await sls(['deploy'], { tz: 'Asia/Shanghai' });

      // Assess
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/set TENCENT_SECRET_ID and TENCENT_SECRET_KEY \(in \.env or the shell\)/);
      expect(result.output).not.toMatch(/\n\s+at /); // no stack trace
      expect(result.calls).toEqual([]);
      expect(result.attempts).toEqual([]);
      expect(existsSync(join(project, '.serverless', 'router.zip'))).toBe(false);
      for (const secret of SECRETS) expect(result.output).not.toContain(secret);
    } finally {
      writeDotEnv(SETTINGS);
    }
  }, SLOW);

  it('refuses a deploy the preflight rejects with exit 1 and the setting named, calling nothing', async () => {
    // Act: a private Redis address without the VPC, from the shell (which wins over .env).
    const result = await sls(['deploy'], { env: { VPC_ID: ' ', SUBNET_ID: ' ' } });

    // Assess
    expect(result.code, result.output).toBe(1);
    expect(result.output).toContain('REDIS_URL is at the private address 10.0.0.12, reachable only inside its VPC: set VPC_ID and SUBNET_ID');
    expect(result.calls).toEqual([]);
    for (const secret of SECRETS) expect(result.output).not.toContain(secret);
  }, SLOW);

  it('sls package builds the zips and the plan offline: no key needed, no call, no connection', async () => {
    // Prepare
    const { TENCENT_SECRET_ID: _id, TENCENT_SECRET_KEY: _key, ...withoutKey } = SETTINGS;
    writeDotEnv(withoutKey);

    try {
      // Act
      const result = await sls(['package', '--stage', 'test']);

      // Assess
      expect(result.code, result.output).toBe(0);
      expect(result.calls).toEqual([]);
      expect(result.attempts).toEqual([]);
      const plan = JSON.parse(readFileSync(join(project, '.serverless', 'plan.json'), 'utf8')) as { stage: string; functions: { name: string; environment: Record<string, string> }[] };
      expect(plan.stage).toBe('test');
      expect(plan.functions.map((fn) => fn.name)).toEqual(['roomservice-test-roomservice-router', 'roomservice-test-roomservice-sweeper']);
      expect(plan.functions[0]!.environment.IM_SECRET_KEY).toBe('***');
      for (const fn of ['router', 'sweeper']) expect(readFileSync(join(project, '.serverless', `${fn}.zip`)).subarray(0, 4).toString('hex')).toBe('504b0304');
    } finally {
      writeDotEnv(SETTINGS);
    }
  }, SLOW);
});

describe('the provider schema, as the Framework applies it', () => {
  it('refuses a misspelt key and a wrongly typed one with exit 1 and the path named (deploy-check\'s schema, given to the Framework)', async () => {
    // Prepare
    const file = join(project, 'serverless.yml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('    memorySize: 256', '    memory: 256').replace('enableExtranet: true', 'enableExtranet: "yes"'));

    try {
      // Act
      const result = await sls(['package']);

      // Assess
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain("at 'functions.router': unrecognized property 'memory'");
      expect(result.output).toContain("at 'functions.router.events.0.http.netConfig.enableExtranet': must be boolean");
      expect(result.calls).toEqual([]);
    } finally {
      writeFileSync(file, original);
    }
  }, SLOW);
});

describe('the other sls commands, against one recorded cloud', () => {
  const flags = ['--stage', 'prod', '--region', 'ap-shanghai'];
  const state = 'operated';
  let deployed: Run;

  beforeAll(async () => {
    deployed = await sls(['deploy', ...flags], { state });
    expect(deployed.code, deployed.output).toBe(0);
  }, SLOW);

  /** Every command here exits 0 and opens no connection of its own. */
  const succeeded = (result: Run) => {
    expect(result.code, result.output).toBe(0);
    expect(result.attempts).toEqual([]);
    return result;
  };

  it('deploy function -f router: the router\'s code, configuration and Function URL only, the URL kept', async () => {
    const one = succeeded(await sls(['deploy', 'function', '-f', 'router', ...flags], { state }));
    expect(one.calls.filter((c) => c.action.startsWith('Update') || c.action.startsWith('Create')).map((c) => `${c.action}:${c.params.FunctionName}`)).toEqual([
      'UpdateFunctionCode:roomservice-prod-roomservice-router',
      'UpdateFunctionConfiguration:roomservice-prod-roomservice-router',
      'UpdateTrigger:roomservice-prod-roomservice-router',
    ]);
    expect(baseUrl(one.output)).toBe(baseUrl(deployed.output));
  }, SLOW);

  it('info: both functions as SCF holds them, and the base URL', async () => {
    const info = succeeded(await sls(['info', ...flags], { state }));
    expect(info.output).toMatch(/router: roomservice-prod-roomservice-router, Active, Nodejs20\.19, 256 MB, 10 s/);
    expect(info.output).toMatch(/sweeper: roomservice-prod-roomservice-sweeper, Active, Nodejs20\.19, 128 MB, 60 s/);
    expect(baseUrl(info.output)).toBe(baseUrl(deployed.output));
  }, SLOW);

  it('invoke: SCF\'s Invoke API with the file\'s event as ClientContext; a function the file does not declare exits 1 naming the choices', async () => {
    const invoked = succeeded(await sls(['invoke', '-f', 'router', '--path', 'events/router.json', ...flags], { state }));
    const unknown = await sls(['invoke', '-f', 'nosuch', ...flags], { state });

    const [invoke] = invoked.calls.filter((c) => c.action === 'Invoke');
    expect(invoke!.params).toMatchObject({ FunctionName: 'roomservice-prod-roomservice-router', InvocationType: 'RequestResponse', Qualifier: '$LATEST' });
    expect(JSON.parse(invoke!.params.ClientContext)).toEqual(JSON.parse(readFileSync(join(project, 'events/router.json'), 'utf8')));
    expect(invoked.output).toContain('"message\\":\\"recorded\\"');
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no function nosuch in serverless.yml (functions: router, sweeper)');
  }, SLOW);

  it('logs: CLS SearchLog on the topic GetFunction names, over --startTime', async () => {
    const lines = { 'roomservice-prod-roomservice-router': [{ time: Date.now() - 60_000, requestId: 'req-1', message: '{"event":"request","path":"/weapp/utils/check_config"}' }] };
    const logs = succeeded(await sls(['logs', '-f', 'router', '--startTime', '10m', ...flags], { state, env: { RECORDER_LOG_LINES: JSON.stringify(lines) } }));

    const [search] = logs.calls.filter((c) => c.action === 'SearchLog');
    expect(search).toMatchObject({ service: 'cls', region: 'ap-shanghai', params: { TopicId: 'topic-roomservice-prod-roomservice-router', Query: 'SCF_Namespace:"default" AND SCF_FunctionName:"roomservice-prod-roomservice-router"' } });
    expect(search!.params.To - search!.params.From).toBe(600_000);
    expect(logs.output).toMatch(/Z req-1 \{"event":"request","path":"\/weapp\/utils\/check_config"\}/);
  }, SLOW);

  it('invoke local: the built router in a fresh Node process, no cloud', async () => {
    const local = succeeded(await sls(['invoke', 'local', '-f', 'router', '--path', 'events/router.json'], { env: { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `sls-local-${process.pid}` } }));
    expect(local.calls).toEqual([]);
    expect(local.output).toMatch(/statusCode 200/);
    expect(local.output).toMatch(/cold start: require/);
  }, SLOW);

  it('remove: both functions deleted', async () => {
    const removed = succeeded(await sls(['remove', ...flags], { state }));
    expect(removed.calls.filter((c) => c.action === 'DeleteFunction').map((c) => c.params.FunctionName)).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
  }, SLOW);
});

describe('the network guard of these tests', () => {
  it('sees the Framework\'s telemetry when the repository\'s .serverlessrc is missing (so its silence above means something)', async () => {
    // Prepare
    const { TENCENT_SECRET_ID: _id, TENCENT_SECRET_KEY: _key, ...withoutKey } = SETTINGS;
    writeDotEnv(withoutKey);
    const rc = join(project, '.serverlessrc');
    const kept = readFileSync(rc);
    rmSync(rc);

    try {
      // Act: a failing deploy, which the Framework reports home unless told not to.
      const result = await sls(['deploy']);

      // Assess
      expect(result.code).toBe(1);
      expect(result.attempts.join(' ')).toMatch(/serverless-platform\.com/);
    } finally {
      writeFileSync(rc, kept);
      writeDotEnv(SETTINGS);
    }
  }, SLOW);
});
