/**
 * `npm run deploy` without a cloud: the plan and the dry run, and the real
 * tencent-component-toolkit code driven with its request layer replaced by a
 * recorder (tests/support/toolkit-recorder.ts). The recorded Cloud API calls
 * are what a real account would receive.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../../scripts/build';
import { checkServerlessFile } from '../../scripts/deploy-check';
import { buildPlan, planJson, serviceVariables } from '../../scripts/deploy-plan';
import { DeployFailure, deployPlan, main as deployMain, removePlan } from '../../scripts/deploy';
import { zipDirectory } from '../../scripts/deploy-zip';
import { CLOUD, CLOUD_ENV } from '../support/harness';
import { installToolkitRecorder, type RecordedCall, type ToolkitRecorder } from '../support/toolkit-recorder';

const REDIS_PASSWORD = 'redis-pass-7f3a9c';

/** A complete deploy environment: the service's settings, the deploy's own variables, the deploy key. */
function deployEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    REDIS_URL: `redis://:${REDIS_PASSWORD}@10.0.0.12:6379`,
    ...CLOUD_ENV,
    LIVE_PLAY_SECRET_KEY: 'f'.repeat(32),
    AUTH_MODE: 'demo',
    HEARTBEAT_TIMEOUT: '20',
    LIVE_ROOM_HEARTBEAT_TIMEOUT: '30',
    STAGE: 'prod',
    REGION: 'ap-shanghai',
    VPC_ID: 'vpc-abc12345',
    SUBNET_ID: 'subnet-def67890',
    EXECUTION_ROLE: 'RoomServiceRole',
    TENCENT_SECRET_ID: 'AKIDrecordertest',
    TENCENT_SECRET_KEY: 'recorder-deploy-key',
    // The operator's confirmation of AUTH_MODE=demo (the preflight refuses demo without it).
    DEPLOY_ALLOW_DEMO_AUTH: 'yes',
    // Not a setting of the service: must never reach a function.
    UNRELATED_SHELL_VARIABLE: 'x',
    ...extra,
  };
}

/** Every service variable the environment sets: what each function must carry. */
const setServiceVariables = (env: NodeJS.ProcessEnv) => Object.fromEntries(serviceVariables().filter((name) => env[name]).map((name) => [name, env[name]!]));

const variablesOf = (call: RecordedCall) =>
  Object.fromEntries((call.params.Environment?.Variables ?? []).map((v: { Key: string; Value: string }) => [v.Key, v.Value]));

describe('deploy plan and dry run', () => {
  it('plans every function with every variable set, the role, the VPC, the timer and a public Function URL', () => {
    // Prepare
    const env = deployEnv();

    // Act
    const plan = buildPlan('serverless.yml', env);

    // Assess
    expect(plan.region).toBe('ap-shanghai');
    expect(plan.functions.map((fn) => fn.name)).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
    for (const fn of plan.functions) {
      expect(fn.environment).toEqual(setServiceVariables(env));
      expect(fn.role).toBe('RoomServiceRole');
      expect(fn.vpc).toEqual({ vpcId: 'vpc-abc12345', subnetId: 'subnet-def67890' });
      expect(fn.runtime).toBe('Nodejs20.19');
    }
    expect(plan.triggers).toEqual([
      {
        type: 'http',
        function: 'roomservice-prod-roomservice-router',
        name: 'roomservice-url',
        authType: 'NONE',
        netConfig: { enableIntranet: false, enableExtranet: true },
        qualifier: '$DEFAULT',
      },
      { type: 'timer', function: 'roomservice-prod-roomservice-sweeper', name: 'sweeper', cronExpression: '*/5 * * * * * *', enable: true, qualifier: '$DEFAULT' },
    ]);
  });

  it('passes through a setting of shared/config.ts that the YAML does not list', () => {
    // Prepare: a per-type override the YAML lists, and one settings family member it does not.
    const env = deployEnv({ SWEEP_BATCH: '150' });
    const listed = JSON.stringify(buildPlan('serverless.yml', {}).functions); // nothing set: nothing planned

    // Act
    const plan = buildPlan('serverless.yml', env);

    // Assess: derived from CONFIG_VARIABLES, so issue-10's settings come along unchanged.
    expect(listed).not.toContain('SWEEP_BATCH');
    for (const fn of plan.functions) expect(fn.environment.SWEEP_BATCH).toBe('150');
  });

  it('prints the plan as JSON with no credentials and no network, names shown and secrets "***"', async () => {
    // Prepare: the real command line, in a fresh process, without any deploy key.
    const { TENCENT_SECRET_ID: _id, TENCENT_SECRET_KEY: _key, ...env } = deployEnv();

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/deploy.ts', '--dry-run', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
    });

    // Assess
    const plan = JSON.parse(stdout) as ReturnType<typeof planJson> & { problems: string[] };
    expect(plan.region).toBe('ap-shanghai');
    expect(plan.problems).toEqual([]);
    const [router] = plan.functions;
    expect(router).toMatchObject({ name: 'roomservice-prod-roomservice-router', handler: 'index.main_handler', memorySize: 256, timeout: 10, vpc: { vpcId: 'vpc-abc12345' } });
    expect(Object.keys(router!.environment)).toEqual(expect.arrayContaining(Object.keys(setServiceVariables(env))));
    for (const name of ['IM_SECRET_KEY', 'LIVE_PUSH_SECRET_KEY', 'LIVE_PLAY_SECRET_KEY', 'CLOUD_API_SECRET_KEY', 'LIVE_CALLBACK_KEY']) expect(router!.environment[name]).toBe('***');
    expect(router!.environment.REDIS_URL).toBe('redis://***@10.0.0.12:6379');
    expect(router!.environment.IM_ADMINISTRATOR).toBe(CLOUD.administrator);
    for (const secret of [CLOUD.secretKey, CLOUD.pushSecretKey, CLOUD.cloudSecretKey, CLOUD.callbackKey, REDIS_PASSWORD]) expect(stdout).not.toContain(secret);
    expect(plan.triggers.map((t) => t.type)).toEqual(['http', 'timer']);
  }, 30_000);

  it('a dry run calls nothing, and a real run refuses to start without the deploy key or with a configuration the service rejects', async () => {
    // Prepare
    const recorder = installToolkitRecorder();
    const output = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const { TENCENT_SECRET_ID: _id, ...noKey } = deployEnv();
    const { IM_SECRET_KEY: _im, ...incomplete } = deployEnv();

    try {
      // Act
      const dry = await deployMain(['--dry-run', '--json'], deployEnv());
      const withoutKey = await deployMain([], noKey);
      const rejected = await deployMain([], incomplete);
      const printed = output.mock.calls.map(([chunk]) => String(chunk)).join('');

      // Assess
      expect([dry, withoutKey, rejected]).toEqual([0, 1, 1]);
      expect(recorder.calls).toEqual([]);
      expect(printed).toContain('TENCENT_SECRET_ID');
      expect(printed).toContain('IM_SECRET_KEY is required');
    } finally {
      output.mockRestore();
      recorder.restore();
    }
  });
});

describe('deploy through tencent-component-toolkit, recorded', () => {
  let recorder: ToolkitRecorder;
  let packageDir: string;
  let packages: Record<string, Buffer>;
  const quiet = () => undefined;

  beforeAll(() => {
    packageDir = mkdtempSync(join(tmpdir(), 'roomservice-pkg-'));
    writeFileSync(join(packageDir, 'index.js'), 'exports.main_handler = async () => ({ code: 0 });\n');
    packages = { router: zipDirectory(packageDir), sweeper: zipDirectory(packageDir) };
  });
  afterAll(() => rmSync(packageDir, { recursive: true, force: true }));

  beforeEach(() => {
    recorder = installToolkitRecorder({ appId: '1250000000' });
    // The toolkit narrates every step on console.log.
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    recorder.restore();
    vi.restoreAllMocks();
  });

  const deploy = (env: NodeJS.ProcessEnv) =>
    deployPlan(buildPlan('serverless.yml', env), { credentials: { SecretId: 'AKIDrecordertest', SecretKey: 'k' }, packages, log: quiet, workDir: packageDir });

  it('first run: uploads the code, creates each function with every variable, the role and the VPC, a 7-field timer and a public Function URL', async () => {
    // Prepare
    const env = deployEnv();

    // Act
    const result = await deploy(env);

    // Assess: only the cloud APIs the toolkit is meant to call.
    expect(new Set(recorder.calls.map((c) => `${c.service}`))).toEqual(new Set(['account', 'cos', 'scf']));
    expect(recorder.calls.every((c) => c.region === 'ap-shanghai')).toBe(true);
    const uploads = recorder.ofAction('putObject');
    expect(uploads.map((u) => u.params.Bucket)).toEqual(['sls-cloudfunction-ap-shanghai-code-1250000000', 'sls-cloudfunction-ap-shanghai-code-1250000000']);
    expect(uploads.every((u) => u.params.bytes === packages.router!.length)).toBe(true);

    const created = recorder.ofAction('CreateFunction');
    expect(created.map((c) => c.params.FunctionName)).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
    for (const call of created) {
      expect(variablesOf(call)).toEqual(setServiceVariables(env));
      expect(call.params).toMatchObject({
        Runtime: 'Nodejs20.19',
        Handler: 'index.main_handler',
        Role: 'RoomServiceRole',
        VpcConfig: { VpcId: 'vpc-abc12345', SubnetId: 'subnet-def67890' },
        PublicNetConfig: { PublicNetStatus: 'ENABLE' },
        Code: { CosBucketName: 'sls-cloudfunction-ap-shanghai-code', CosObjectName: expect.stringMatching(/\.zip$/) },
      });
      expect(variablesOf(call)).not.toHaveProperty('UNRELATED_SHELL_VARIABLE');
      expect(variablesOf(call)).not.toHaveProperty('TENCENT_SECRET_KEY');
    }
    expect(created[0]!.params).toMatchObject({ MemorySize: 256, Timeout: 10 });
    expect(created[1]!.params).toMatchObject({ MemorySize: 128, Timeout: 60 });

    const triggers = recorder.ofAction('CreateTrigger');
    expect(triggers).toHaveLength(2);
    const timer = triggers.find((t) => t.params.Type === 'timer')!;
    expect(timer.params).toMatchObject({ FunctionName: 'roomservice-prod-roomservice-sweeper', TriggerName: 'sweeper', Enable: 'OPEN' });
    expect(String(timer.params.TriggerDesc).split(' ')).toHaveLength(7);
    expect(timer.params.TriggerDesc).toBe('*/5 * * * * * *');
    const url = triggers.find((t) => t.params.Type === 'http')!;
    expect(url.params).toMatchObject({ FunctionName: 'roomservice-prod-roomservice-router', Qualifier: '$DEFAULT', Enable: 'OPEN' });
    expect(JSON.parse(String(url.params.TriggerDesc))).toMatchObject({ AuthType: 'NONE', NetConfig: { EnableExtranet: true, EnableIntranet: false } });
    expect(result.url).toMatch(/^https:\/\/1250000000-[a-z0-9]+\.ap-shanghai\.tencentscf\.com$/);
  });

  it('second run: updates code and configuration in place, no duplicate function or trigger, the same URL', async () => {
    // Prepare
    const first = await deploy(deployEnv());
    const [timerAddedAt] = recorder.functions.get('roomservice-prod-roomservice-sweeper')!.triggers.map((t) => t.AddTime);
    recorder.clearCalls();
    const changed = deployEnv({ HEARTBEAT_TIMEOUT: '25', SWEEP_BATCH: '150' });

    // Act
    const second = await deploy(changed);

    // Assess
    expect(recorder.ofAction('CreateFunction')).toEqual([]);
    expect(recorder.ofAction('UpdateFunctionCode').map((c) => c.params.FunctionName)).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
    const configured = recorder.ofAction('UpdateFunctionConfiguration');
    expect(configured).toHaveLength(2);
    for (const call of configured) {
      expect(variablesOf(call)).toEqual(setServiceVariables(changed));
      expect(call.params).toMatchObject({ Role: 'RoomServiceRole', VpcConfig: { VpcId: 'vpc-abc12345' } });
    }
    expect(recorder.ofAction('CreateTrigger').filter((c) => c.params.Type === 'http')).toEqual([]);
    expect(recorder.ofAction('UpdateTrigger').map((c) => c.params.Type)).toEqual(['http']);
    // The unchanged timer is kept: neither deleted nor created again (no gap in the sweeps).
    expect(recorder.ofAction('DeleteTrigger')).toEqual([]);
    expect(recorder.ofAction('CreateTrigger')).toEqual([]);
    expect(recorder.functions.get('roomservice-prod-roomservice-sweeper')!.triggers.map((t) => t.AddTime)).toEqual([timerAddedAt]);
    const state = [...recorder.functions.entries()].map(([name, fn]) => [name, fn.triggers.map((t) => `${t.Type}:${t.TriggerName}`)]);
    expect(state).toEqual([
      ['roomservice-prod-roomservice-router', ['http:roomservice-url']],
      ['roomservice-prod-roomservice-sweeper', ['timer:sweeper']],
    ]);
    expect(second.url).toBe(first.url);
  });

  it('--remove deletes every function it made (their triggers with them)', async () => {
    // Prepare
    await deploy(deployEnv());
    recorder.clearCalls();

    // Act
    const removed = await removePlan(buildPlan('serverless.yml', deployEnv()), { credentials: { SecretId: 'AKIDrecordertest', SecretKey: 'k' }, log: quiet });

    // Assess
    expect(removed).toEqual(['roomservice-prod-roomservice-router', 'roomservice-prod-roomservice-sweeper']);
    expect(recorder.ofAction('DeleteFunction').map((c) => c.params.FunctionName)).toEqual(removed);
    expect(recorder.functions.size).toBe(0);
  });

  it('reads every function back and fails naming the runtime SCF kept (the toolkit never updates Runtime)', async () => {
    // Prepare: the functions exist from a deploy on Node 16.
    await deploy(deployEnv());
    for (const fn of recorder.functions.values()) fn.config.Runtime = 'Nodejs16.13';
    recorder.clearCalls();

    // Act
    const failure = await deploy(deployEnv()).then(() => undefined, (error: unknown) => error);

    // Assess: the update went out without Runtime, then GetFunction showed the old one.
    expect(recorder.ofAction('UpdateFunctionConfiguration').every((c) => !('Runtime' in c.params))).toBe(true);
    expect(failure).toBeInstanceOf(DeployFailure);
    const message = (failure as Error).message;
    expect(message).toContain('function roomservice-prod-roomservice-router: runtime is "Nodejs16.13", the plan says "Nodejs20.19"');
    expect(message).toContain('function roomservice-prod-roomservice-sweeper: runtime is "Nodejs16.13"');
    expect(message).toMatch(/remove the function/);
  });

  it('fails naming memory, VPC and variables that SCF holds otherwise than planned, never their values', async () => {
    // Prepare: an SCF that drops the VPC and one variable and keeps the old memory on update.
    await deploy(deployEnv());
    const original = recorder.functions.get('roomservice-prod-roomservice-router')!;
    const update = original.config;
    Object.defineProperty(original, 'config', {
      get: () => update,
      set: (next: Record<string, any>) => {
        Object.assign(update, next, { MemorySize: 128, VpcConfig: { VpcId: '', SubnetId: '' } });
        update.Environment = { Variables: next.Environment.Variables.filter((v: { Key: string }) => v.Key !== 'IM_SECRET_KEY') };
      },
    });

    // Act
    const failure = await deploy(deployEnv()).then(() => undefined, (error: unknown) => error);

    // Assess
    const message = (failure as Error).message;
    expect(message).toContain('function roomservice-prod-roomservice-router: memory (MB) is 128, the plan says 256');
    expect(message).toContain('function roomservice-prod-roomservice-router: VPC is "", the plan says "vpc-abc12345/subnet-def67890"');
    expect(message).toContain('function roomservice-prod-roomservice-router: variables missing: IM_SECRET_KEY');
    expect(message).not.toContain(CLOUD.secretKey);
    expect(message).not.toContain('sweeper');
  });

  it('npm run deploy end to end: builds, packages the real bundles, deploys, prints the base URL', async () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'roomservice-dist-'));
    const output = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    try {
      // Act
      const code = await deployMain([], deployEnv(), { outdir, workDir: packageDir });
      const printed = output.mock.calls.map(([chunk]) => String(chunk)).join('');
      output.mockRestore();

      // Assess
      expect(code, printed).toBe(0);
      expect(printed).toMatch(/^base URL: https:\/\/1250000000-url1\.ap-shanghai\.tencentscf\.com$/m);
      const uploaded = recorder.ofAction('putObject');
      expect(uploaded.map((u) => u.params.Key)).toEqual([expect.stringMatching(/^roomservice-prod-roomservice-router-[0-9a-f]{16}\.zip$/), expect.stringMatching(/^roomservice-prod-roomservice-sweeper-[0-9a-f]{16}\.zip$/)]);
      const router = recorder.objects.get(`sls-cloudfunction-ap-shanghai-code-1250000000/${uploaded[0]!.params.Key}`)!;
      expect(router.equals(zipDirectory(join(outdir, 'router')))).toBe(true);
      expect(router.length).toBeGreaterThan(100 * 1024);
      expect(recorder.ofAction('CreateFunction')).toHaveLength(2);
    } finally {
      output.mockRestore();
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('deploy:check reads serverless.yml as the Framework does', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'roomservice-yaml-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const variant = (name: string, edit: (text: string) => string) => {
    const file = join(dir, name);
    writeFileSync(file, edit(readFileSync(join(ROOT, 'serverless.yml'), 'utf8')));
    return file;
  };

  it('passes the file as it is, and fails a misspelt key, a variable without its fallback and one the deploy does not know', () => {
    // Prepare
    const misspelt = variant('misspelt.yml', (text) => text.replace('    memorySize: 256', '    memory: 256'));
    const noFallback = variant('no-fallback.yml', (text) => text.replace("${env:VPC_ID, ''}", '${env:VPC_ID}'));
    const foreign = variant('foreign.yml', (text) => text.replace("${env:EXECUTION_ROLE, ''}", "${env:IM_SECRET_KEY, ''}"));
    const wrongDefault = variant('wrong-default.yml', (text) => text.replace("${env:STAGE, 'dev'}", "${env:STAGE, 'test'}"));
    const optRef = variant('opt.yml', (text) => text.replace("${env:REGION, 'ap-guangzhou'}", "${opt:region, 'ap-guangzhou'}"));

    // Act
    const good = checkServerlessFile('serverless.yml', { skipDist: true, env: {} });
    const [bad1, bad2, bad3, bad4, bad5] = [misspelt, noFallback, foreign, wrongDefault, optRef].map((file) => checkServerlessFile(file, { skipDist: true, env: {} }).problems) as [string[], string[], string[], string[], string[]];

    // Assess
    expect(good.problems).toEqual([]);
    expect(good.functions).toEqual(['router', 'sweeper']);
    expect(bad1.join('\n')).toMatch(/functions\.router.*memory/);
    expect(bad2).toEqual([expect.stringMatching(/^provider\.vpc\.vpcId: \$\{env:VPC_ID\} needs a fallback/)]);
    expect(bad3).toEqual([expect.stringMatching(/IM_SECRET_KEY\} is not a deploy variable/)]);
    expect(bad4).toEqual([expect.stringMatching(/fallback of STAGE must be 'dev'/)]);
    expect(bad5).toEqual([expect.stringMatching(/^provider\.region: \$\{opt:region, 'ap-guangzhou'\} is not \$\{env:NAME, 'fallback'\}/)]);
  });

  it('fails a sweeper without its timer, a 6-field cron and a Function URL that clients cannot reach', () => {
    // Prepare
    const file = variant('broken-triggers.yml', (text) => text.replace("'*/5 * * * * * *'", "'*/5 * * * * *'").replace('enableExtranet: true', 'enableExtranet: false'));
    const noTimer = variant('no-timer.yml', (text) => text.replace(/ {4}events:\n {6}- timer:\n(?: {10}.*\n| {10}#.*\n)+/, ''));

    // Act
    const broken = checkServerlessFile(file, { skipDist: true, env: {} }).problems;
    const missing = checkServerlessFile(noTimer, { skipDist: true, env: {} }).problems;

    // Assess
    expect(broken).toEqual([
      'function sweeper: timer sweeper: cronExpression "*/5 * * * * *" has 6 fields; SCF timers take 7 (seconds first)',
      expect.stringMatching(/^http event of router: netConfig\.enableExtranet must be true/),
    ]);
    expect(missing).toEqual(['the sweeper needs exactly one timer event, found 0']);
  });
});
