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
import { ENDPOINTS } from '../../functions/router';
import { ADMIN_ROUTES } from '../../shared/admin/routes';
import { ROOT } from '../../scripts/build';
import { checkServerlessFile, syncEnvironments } from '../../scripts/deploy-check';
import { buildPlan, planJson, requiredVariables, serviceVariables } from '../../scripts/deploy-plan';
import { deployPlan, main as deployMain, removePlan, toolkitTriggerInputs } from '../../scripts/deploy';
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
      { type: 'timer', function: 'roomservice-prod-roomservice-sweeper', name: 'sweeper', cronExpression: '*/5 * * * * * *', enable: true, qualifier: '$DEFAULT' },
      {
        type: 'http',
        function: 'roomservice-prod-roomservice-router',
        name: 'roomservice-url',
        authType: 'NONE',
        netConfig: { enableIntranet: false, enableExtranet: true },
        qualifier: '$DEFAULT',
      },
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
    expect(plan.triggers.map((t) => t.type)).toEqual(['timer', 'http']);
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

  it('per-function mode plans one API Gateway route per endpoint for the toolkit', () => {
    // Act
    const plan = buildPlan('deploy/apigw/serverless.yml', deployEnv());
    const [gateway] = toolkitTriggerInputs(plan).filter((t) => t.type === 'apigw') as { parameters: { endpoints: { path: string; function: { name: string } }[] } }[];

    // Assess
    // Every endpoint, the router, the sweeper and the admin plane.
    expect(plan.functions).toHaveLength(ENDPOINTS.length + 3);
    expect(plan.functions.map((fn) => fn.name)).toContain('roomservice-apigw-prod-roomservice-admin');
    expect(gateway!.parameters.endpoints.length).toBe(plan.triggers.filter((t) => t.type === 'apigw').length);
    expect(gateway!.parameters.endpoints.find((e) => e.path === '/weapp/{roomType}/pusher_heartbeat')!.function.name).toBe('roomservice-apigw-prod-roomservice-pusher_heartbeat');
    // The dashboard page and every admin route, to the admin function.
    const adminPaths = gateway!.parameters.endpoints.filter((e) => e.function.name.endsWith('-admin')).map((e) => e.path);
    expect(new Set(adminPaths)).toEqual(new Set(['/admin', ...ADMIN_ROUTES.map((r) => r.path)]));
  });
});

describe('deploy:check applies the component\'s transformation', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'roomservice-yaml-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails a file whose functions declare `environment:` (multi-scf would deploy them without any variable) and passes `environments:`', () => {
    // Prepare: the real file, and the same file with the key the component does not read.
    const original = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const singular = join(dir, 'serverless.yml');
    writeFileSync(singular, original.replace(/^(\s+)environments:/gm, '$1environment:'));

    // Act
    const good = checkServerlessFile('serverless.yml', { skipDist: true, env: {} });
    const bad = checkServerlessFile(singular, { skipDist: true, env: {} });

    // Assess
    expect(original).toMatch(/^\s+environments: &environments$/m);
    expect(good.problems).toEqual([]);
    expect(bad.problems).toEqual(
      expect.arrayContaining(['router', 'sweeper'].map((fn) => expect.stringMatching(new RegExp(`^function ${fn} would deploy without REDIS_URL, .*IM_SECRET_KEY.*multi-scf builds the variables from \`environments:\``)))),
    );
    for (const name of requiredVariables()) expect(bad.problems.join('\n')).toContain(name);
  });

  it('fails a file that leaves out a required setting, and only warns about an optional one', () => {
    // Prepare
    const original = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const without = (key: string) => {
      const file = join(dir, `without-${key}.yml`);
      writeFileSync(file, original.replace(new RegExp(`^.*key: ${key},.*\\n`, 'm'), ''));
      return file;
    };

    // Act
    const required = checkServerlessFile(without('IM_SECRET_KEY'), { skipDist: true, env: {} });
    const optional = checkServerlessFile(without('SWEEP_BATCH'), { skipDist: true, env: {} });

    // Assess
    expect(required.problems).toEqual(['function router would deploy without IM_SECRET_KEY', 'function sweeper would deploy without IM_SECRET_KEY']);
    expect(optional.problems).toEqual([]);
    expect(optional.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^function router: `sls deploy` would not pass SWEEP_BATCH/)]));
  });

  it('--fix rewrites the environments list to the settings of shared/config.ts', () => {
    // Prepare
    const original = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
    const file = join(dir, 'stale.yml');
    writeFileSync(file, original.replace(/^.*key: SWEEP_BATCH,.*\n/m, ''));

    // Act
    const changed = syncEnvironments(file);
    const again = syncEnvironments(file);

    // Assess
    expect([changed, again]).toEqual([true, false]);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });
});
