/**
 * The Serverless Framework v3 plugin behind `sls` (loaded by
 * deploy/serverless-plugin/index.js): it registers the `tencent` provider with
 * the schema of deploy-check.ts and hooks the Framework's own commands onto the
 * code `npm run deploy` runs (scripts/deploy.ts), so there is one deploy path:
 *
 *   sls package                      bundles, zips and the plan into .serverless/, offline
 *   sls deploy                       preflight, package, deploy, read back; prints the base URL
 *   sls deploy function -f NAME      one function's code and configuration (and its triggers)
 *   sls info | sls remove
 *   sls invoke -f NAME --path F      SCF's Invoke API (or --data JSON)
 *   sls invoke local -f NAME --path F  the built bundle in a fresh Node process (npm run invoke)
 *   sls logs -f NAME [--startTime 30m] [--filter Q]   CLS SearchLog on the function's log topic
 *
 * `--stage` and `--region` replace STAGE and REGION; credentials and settings
 * come from the shell or `.env` as for `npm run deploy`. Every failure is a
 * Framework error (exit code 1) with the cause as its message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../shared/errors';
import { buildFunctions } from './build';
import { DEPLOY_FILE, frameworkSchema } from './deploy-check';
import { buildPlan, plannedFunction, type DeployPlan } from './deploy-plan';
import { preflight } from './deploy-preflight';
import {
  DeployFailure,
  PACKAGE_DIR,
  deployEnvironment,
  deployPlan,
  describeDeployed,
  invokeDeployed,
  packageService,
  printBaseUrl,
  recentLogs,
  refuseUnworkable,
  removePlan,
  requireCredentials,
} from './deploy';
import { loadDotEnv } from './dotenv';
import { main as invokeLocal, readEvent } from './invoke';

/* eslint-disable @typescript-eslint/no-explicit-any -- the Framework's objects are untyped here */
interface Options {
  stage?: string;
  region?: string;
  function?: string;
  path?: string;
  data?: string;
  startTime?: string;
  filter?: string;
}

/** `--region`, which the Framework keeps for AWS: added to every command this provider serves. */
const REGION = { region: { usage: 'SCF region (default: REGION, else ap-guangzhou)', shortcut: 'r', type: 'string' } };

/** `--startTime 30m|2h|1d` or a date -> milliseconds back from now (default: one hour). */
export function sinceMs(startTime: string | undefined, now = Date.now()): number {
  if (!startTime) return 3_600_000;
  const relative = /^(\d+)\s*([smhd])$/.exec(startTime.trim());
  if (relative) return Number(relative[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
  const at = Date.parse(startTime);
  if (Number.isNaN(at) || at > now) throw new DeployFailure(`--startTime ${startTime}: give a duration such as 30m, 2h, 1d, or a past date`);
  return now - at;
}

export class TencentProvider {
  readonly commands: Record<string, unknown>;
  readonly hooks: Record<string, () => Promise<void>>;
  private readonly env: NodeJS.ProcessEnv;
  private packages: Record<string, Buffer> | undefined;

  static getProviderName(): string {
    return 'tencent';
  }

  constructor(private readonly serverless: any, private readonly options: Options, utils: { writeText: (text: string) => void }) {
    serverless.setProvider('tencent', this);
    serverless.configSchemaHandler.defineProvider('tencent', frameworkSchema());
    loadDotEnv();
    this.env = deployEnvironment(process.env, options);
    const out = (line: string) => utils.writeText(line);
    const withRegion = (extra: Record<string, unknown> = {}) => ({ options: REGION, ...extra });
    this.commands = {
      package: withRegion(),
      deploy: withRegion({ commands: { function: withRegion() } }),
      info: withRegion(),
      remove: withRegion(),
      invoke: withRegion({ commands: { local: withRegion() } }),
      logs: withRegion(),
    };
    const command = ((serverless.processedInput?.commands ?? []) as string[]).join(' ');
    const hook = (run: () => Promise<void>) => async () => {
      try {
        await run();
      } catch (error) {
        throw new serverless.classes.Error(errorMessage(error));
      }
    };
    this.hooks = {
      // Before any build or cloud call: the key, and for a deploy whether it can work at all.
      initialize: hook(async () => {
        if (['deploy', 'deploy function', 'info', 'remove', 'invoke', 'logs'].includes(command)) requireCredentials(this.env);
        if (command === 'deploy' || command === 'deploy function') refuseUnworkable(this.plan(), this.env);
      }),
      // Before the Framework's own packaging, which would zip the whole directory: each
      // function's artifact is then in place and the Framework packages nothing.
      'before:package:createDeploymentArtifacts': hook(async () => {
        const plan = this.plan();
        if (command === 'package') for (const problem of preflight(plan, this.env)) out(`warning: a deploy would refuse this: ${problem}`);
        this.packages = await packageService(plan, { writeTo: PACKAGE_DIR, log: out });
        for (const [key, fn] of Object.entries(serverless.service.functions as Record<string, any>)) fn.package = { ...fn.package, artifact: join(PACKAGE_DIR, `${key}.zip`) };
      }),
      'deploy:deploy': hook(async () => {
        const plan = this.plan();
        const packages = this.packages ?? (await packageService(plan, { log: out }));
        const result = await deployPlan(plan, { credentials: requireCredentials(this.env), packages, log: out });
        printBaseUrl(plan, result, out);
      }),
      'deploy:function:deploy': hook(async () => {
        const plan = this.plan();
        const only = plannedFunction(plan, this.required('function'));
        const packages = await packageService(plan, { only, log: out });
        const result = await deployPlan(plan, { credentials: requireCredentials(this.env), packages, only, log: out });
        printBaseUrl(plan, result, out);
      }),
      'info:info': hook(async () => {
        await describeDeployed(this.plan(), { credentials: requireCredentials(this.env), log: out });
      }),
      'remove:remove': hook(async () => {
        await removePlan(this.plan(), { credentials: requireCredentials(this.env), log: out });
      }),
      'invoke:invoke': hook(async () => {
        await invokeDeployed(this.plan(), this.required('function'), this.event(), { credentials: requireCredentials(this.env), log: out });
      }),
      'invoke:local:invoke': hook(async () => {
        const fn = plannedFunction(this.plan(), this.required('function'));
        const built = await buildFunctions({ outdir: join(PACKAGE_DIR, 'local'), functions: [fn.key] });
        if (built.problems.length > 0) throw new DeployFailure(`build: ${built.problems.join('; ')}`);
        let file = this.options.path;
        if (this.options.data !== undefined) {
          file = join(mkdtempSync(join(tmpdir(), 'roomservice-event-')), 'event.json');
          writeFileSync(file, JSON.stringify(this.event()));
        }
        // The function's variables as the deploy would set them, so the bundle runs as on SCF.
        Object.assign(process.env, fn.environment);
        const code = await invokeLocal(file ? [fn.key, file] : [fn.key], built.outdir);
        if (code !== 0) throw new DeployFailure(`invoke local ${fn.key}: the invocation failed (exit code ${code}, see above)`);
      }),
      'logs:logs': hook(async () => {
        await recentLogs(this.plan(), this.required('function'), { credentials: requireCredentials(this.env), sinceMs: sinceMs(this.options.startTime), filter: this.options.filter, log: out });
      }),
    };
  }

  private plan(): DeployPlan {
    return buildPlan(DEPLOY_FILE, this.env);
  }

  private required(option: 'function'): string {
    const value = this.options[option];
    if (!value) throw new DeployFailure(`--${option} (-f) is required: one of the functions in ${DEPLOY_FILE}`);
    return value;
  }

  /** The event of `--data` (JSON) or `--path` (a JSON file, e.g. events/router.json); {} when neither is given. */
  private event(): unknown {
    const { data, path } = this.options;
    try {
      if (data !== undefined) return JSON.parse(data);
      if (path !== undefined) return readEvent(path);
    } catch (error) {
      throw new DeployFailure(`${data !== undefined ? '--data' : `--path ${path}`}: not a JSON event (${errorMessage(error)})`);
    }
    return {};
  }
}
