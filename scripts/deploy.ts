/**
 * `npm run deploy`: deploys the service to a Tencent Cloud account in one
 * command, from serverless.yml and `.env` (or the shell).
 *
 *   npm run deploy [-- --target=deploy/apigw] [--dry-run [--json]] [--remove]
 *
 * It builds the bundles, checks the file (deploy:check) and the configuration
 * (the service's own validation), then drives tencent-component-toolkit, the
 * library Tencent's Serverless components run on, the way the multi-scf
 * component does: each function's code package to the COS code bucket, every
 * function created or updated (runtime, handler, memory, timeout, VPC, role,
 * every variable set), then the triggers (the sweeper's timer, the router's
 * Function URL). It prints the base URL clients use. A second run updates in
 * place; `--remove` deletes the functions (their triggers go with them).
 *
 * `--dry-run` needs no credentials and no network: it prints the plan (with
 * `--json`, exactly as JSON on stdout; secret values are "***").
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../shared/config';
import { DIST_DIR, ROOT, buildFunctions } from './build';
import { checkServerlessFile, optionValue, printReport } from './deploy-check';
import { buildPlan, planJson, shownValue, type DeployPlan, type PlannedFunction, type PlannedTrigger } from './deploy-plan';
import { zipDirectory } from './deploy-zip';
import { runOperatorCommand } from './dotenv';

export interface Credentials {
  SecretId: string;
  SecretKey: string;
  Token?: string;
}

/** The deploy key: TENCENT_SECRET_ID / TENCENT_SECRET_KEY (+ TENCENT_TOKEN for temporary keys). */
export function credentialsFrom(env: NodeJS.ProcessEnv): Credentials | undefined {
  const id = env.TENCENT_SECRET_ID?.trim();
  const key = env.TENCENT_SECRET_KEY?.trim();
  if (!id || !key) return undefined;
  const token = env.TENCENT_TOKEN?.trim();
  return { SecretId: id, SecretKey: key, ...(token ? { Token: token } : {}) };
}

/** What would make the deployed service answer every request with 5002: the service's own validation of each function's variables. */
export function configProblems(plan: DeployPlan): string[] {
  const problems = new Set<string>();
  for (const fn of plan.functions) {
    try {
      loadConfig(fn.environment);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) problems.add(problem);
    }
    if (!fn.environment.REDIS_URL) problems.add('REDIS_URL is required on SCF (the TencentDB for Redis address, e.g. redis://:password@10.0.0.5:6379)');
  }
  return [...problems];
}

// ---------------------------------------------------------------- tencent-component-toolkit

/* eslint-disable @typescript-eslint/no-explicit-any -- the toolkit's classes, loaded lazily (a dry run never loads them) */
interface Toolkit {
  Scf: new (credentials: Credentials, region: string) => any;
  TriggerManager: new (credentials: Credentials, region: string) => any;
  Cos: new (credentials: Credentials, region: string) => any;
  Account: new (credentials: Credentials, region: string) => any;
}

/** The toolkit modules this deploy uses (required one by one: the package index loads every Tencent product). */
function toolkit(): Toolkit {
  const lib = (path: string) => require(`tencent-component-toolkit/lib/modules/${path}`);
  return {
    Scf: lib('scf').default,
    TriggerManager: lib('triggers/manager').TriggerManager,
    Cos: lib('cos').default,
    Account: lib('account').default,
  };
}

/** The code bucket's rule of the multi-scf component: packages expire after 10 days (a deployed function keeps its code). */
const CODE_BUCKET_LIFECYCLE = [
  { status: 'Enabled', id: 'deleteObject', expiration: { days: '10' }, abortIncompleteMultipartUpload: { daysAfterInitiation: '10' } },
];

/** One function as the toolkit's Scf.deploy takes it (what multi-scf's formatFaasInputs hands over). */
export function toolkitFunctionInputs(fn: PlannedFunction, code: { bucket: string; object: string }): Record<string, unknown> {
  return {
    name: fn.name,
    namespace: fn.namespace,
    type: 'event',
    runtime: fn.runtime,
    handler: fn.handler,
    memorySize: fn.memorySize,
    timeout: fn.timeout,
    ...(fn.description ? { description: fn.description } : {}),
    ...(fn.role ? { role: fn.role } : {}),
    environment: { variables: fn.environment },
    ...(fn.vpc ? { vpcConfig: fn.vpc } : {}),
    // Public network access stays on (the toolkit's default): the IM and live APIs are on the internet.
    publicAccess: true,
    code,
  };
}

/** The triggers as the toolkit's TriggerManager takes them (what multi-scf's formatTriggerInputs hands over). */
export function toolkitTriggerInputs(plan: DeployPlan): Record<string, unknown>[] {
  const fnRef = (name: string) => ({ name, namespace: plan.namespace });
  const out: Record<string, unknown>[] = [];
  const gateways = new Map<string, Extract<PlannedTrigger, { type: 'apigw' }>[]>();
  for (const trigger of plan.triggers) {
    if (trigger.type === 'timer') {
      const { name, cronExpression, enable, qualifier } = trigger;
      out.push({ type: 'timer', function: fnRef(trigger.function), parameters: { name, cronExpression, enable, qualifier } });
    } else if (trigger.type === 'http') {
      const { name, qualifier, authType, netConfig } = trigger;
      out.push({ type: 'http', function: fnRef(trigger.function), parameters: { name, qualifier, authType, netConfig } });
    } else {
      gateways.set(trigger.service, [...(gateways.get(trigger.service) ?? []), trigger]);
    }
  }
  for (const [service, apis] of gateways) {
    const [first] = apis;
    out.push({
      type: 'apigw',
      parameters: {
        name: service,
        serviceName: service,
        protocols: first!.protocols,
        environment: first!.environment,
        endpoints: apis.map((api) => ({
          path: api.path,
          method: api.method,
          enableCORS: api.enableCORS,
          ...(api.param ? { param: api.param } : {}),
          function: { name: api.function, functionName: api.function, functionNamespace: plan.namespace },
        })),
      },
    });
  }
  return out;
}

/**
 * The Function URL's public address in a trigger as the API describes it. It
 * is inside the trigger description (`NetConfig.ExtranetUrl` as far as public
 * code reads it; Tencent's docs do not show the field), so rather than rely on
 * one field name, take the first `https://...tencentscf.com` address that is
 * not the intranet one (`.in.`), looking into JSON strings too.
 */
export function findFunctionUrl(value: unknown, depth = 0): string | undefined {
  if (depth > 8 || value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    if (/^https:\/\/[A-Za-z0-9.-]+\.tencentscf\.com\/?$/.test(value) && !/\.in\./.test(value)) return value.replace(/\/$/, '');
    if (/^\s*[[{]/.test(value)) {
      try {
        return findFunctionUrl(JSON.parse(value), depth + 1);
      } catch {
        return undefined;
      }
    }
    return undefined;
  }
  if (typeof value === 'object') {
    for (const item of Object.values(value)) {
      const found = findFunctionUrl(item, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

export interface DeployResult {
  /** SCF names, in deploy order. */
  functions: string[];
  /** The router's Function URL, when the API returned it. */
  url: string | undefined;
  bucket: string;
}

type Log = (line: string) => void;

/** Uploads the packages and creates or updates every function and trigger of the plan. */
export async function deployPlan(plan: DeployPlan, options: { credentials: Credentials; packages: Record<string, Buffer>; log?: Log; workDir?: string }): Promise<DeployResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const tk = toolkit();
  const { credentials } = options;
  const { appId } = (await new tk.Account(credentials, plan.region).get()) as { appId: string };
  if (!appId) throw new Error('the account API returned no AppId for these credentials');
  const bucket = `${plan.codeBucket}-${appId}`;
  const cos = new tk.Cos(credentials, plan.region);
  await cos.deploy({ bucket, force: true, lifecycle: CODE_BUCKET_LIFECYCLE });

  const workDir = options.workDir ?? join(ROOT, '.serverless', 'packages');
  mkdirSync(workDir, { recursive: true });
  const scf = new tk.Scf(credentials, plan.region);
  for (const fn of plan.functions) {
    const zip = options.packages[fn.key];
    if (!zip) throw new Error(`no code package for function ${fn.key}`);
    // Content-addressed: a redeploy of the same bundle uploads the same object name.
    const object = `${fn.name}-${createHash('sha256').update(zip).digest('hex').slice(0, 16)}.zip`;
    const file = join(workDir, object);
    writeFileSync(file, zip);
    log(`code     ${fn.key}: ${(zip.length / 1024).toFixed(1)} KiB -> cos://${bucket}/${object}`);
    await cos.upload({ bucket, file, key: object });
    await scf.deploy(toolkitFunctionInputs(fn, { bucket: plan.codeBucket, object }));
    log(`function ${fn.name}: ${fn.runtime}, ${fn.memorySize} MB, ${fn.timeout} s, ${Object.keys(fn.environment).length} variables${fn.role ? `, role ${fn.role}` : ''}${fn.vpc ? `, ${fn.vpc.vpcId}/${fn.vpc.subnetId}` : ''}`);
  }

  let url: string | undefined;
  const triggers = toolkitTriggerInputs(plan);
  if (triggers.length > 0) {
    const manager = new tk.TriggerManager(credentials, plan.region);
    const { triggerList } = (await manager.bulkCreateTriggers(triggers, plan.namespace)) as { triggerList: unknown };
    for (const trigger of plan.triggers) log(`trigger  ${trigger.type} -> ${trigger.function}`);
    url = findFunctionUrl(triggerList);
    // CreateTrigger's answer may not carry the address yet; the function's trigger list does.
    const urlTrigger = plan.triggers.find((t) => t.type === 'http');
    if (!url && urlTrigger) url = findFunctionUrl(await scf.getTriggerList(urlTrigger.function, plan.namespace));
  }
  return { functions: plan.functions.map((fn) => fn.name), url, bucket };
}

/** Deletes every function of the plan (SCF deletes their triggers with them). The code bucket stays: its packages expire. */
export async function removePlan(plan: DeployPlan, options: { credentials: Credentials; log?: Log }): Promise<string[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const scf = new (toolkit().Scf)(options.credentials, plan.region);
  const removed: string[] = [];
  for (const fn of plan.functions) {
    await scf.remove({ functionName: fn.name, namespace: fn.namespace });
    removed.push(fn.name);
    log(`removed  ${fn.name}`);
  }
  return removed;
}

/** One zip per function, from its bundle directory dist/<key>/. */
export function packageFunctions(plan: DeployPlan, distDir = DIST_DIR): Record<string, Buffer> {
  return Object.fromEntries(plan.functions.map((fn) => [fn.key, zipDirectory(join(distDir, fn.key))]));
}

// ---------------------------------------------------------------- command line

function describePlan(plan: DeployPlan, problems: string[]): string {
  const lines = [`plan for ${plan.file}: app ${plan.app}, stage ${plan.stage}, region ${plan.region}, namespace ${plan.namespace}`];
  for (const fn of plan.functions) {
    lines.push(`  function ${fn.name} (${fn.key}): ${fn.runtime} ${fn.handler}, ${fn.memorySize} MB, ${fn.timeout} s, role ${fn.role ?? '-'}, vpc ${fn.vpc ? `${fn.vpc.vpcId}/${fn.vpc.subnetId}` : '-'}`);
    lines.push(`    ${Object.entries(fn.environment).map(([name, value]) => `${name}=${shownValue(name, value)}`).join(' ')}`);
  }
  for (const trigger of plan.triggers) lines.push(`  trigger ${JSON.stringify(trigger)}`);
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  for (const problem of problems) lines.push(`  PROBLEM: ${problem}`);
  return lines.join('\n');
}

export interface MainOptions {
  /** Where the bundles are built (tests build into a temporary directory instead of dist/). */
  outdir?: string;
  /** Where the code packages are written before upload. */
  workDir?: string;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, options: MainOptions = {}): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const target = optionValue(argv, 'target');
  const file = target ? relative(ROOT, resolve(ROOT, target, 'serverless.yml')) : 'serverless.yml';
  const dryRun = argv.includes('--dry-run');
  const json = argv.includes('--json');
  const remove = argv.includes('--remove');
  if (json && !dryRun) throw new Error('--json goes with --dry-run');

  const plan = buildPlan(file, env);
  const problems = remove ? [] : configProblems(plan);
  if (dryRun) {
    if (json) out(JSON.stringify({ ...planJson(plan), ...(remove ? { remove: true } : {}), problems }, null, 2));
    else out(`${remove ? 'would remove' : 'would deploy'}\n${describePlan(plan, problems)}`);
    return problems.length > 0 ? 1 : 0;
  }

  const credentials = credentialsFrom(env);
  if (!credentials) {
    out('FAIL set TENCENT_SECRET_ID and TENCENT_SECRET_KEY (in .env or the shell): the CAM key that deploys');
    return 1;
  }
  if (remove) {
    await removePlan(plan, { credentials, log: out });
    return 0;
  }
  if (problems.length > 0) {
    out(`FAIL the service would reject this configuration (set these in .env or the shell):\n${problems.map((p) => `     - ${p}`).join('\n')}`);
    return 1;
  }
  const built = await buildFunctions({ outdir: options.outdir ?? DIST_DIR });
  if (built.problems.length > 0) {
    out(`FAIL build:\n${built.problems.map((p) => `     - ${p}`).join('\n')}`);
    return 1;
  }
  // The YAML names dist/ as the code; a build elsewhere is checked by the packaging below instead.
  const report = checkServerlessFile(file, { skipDist: options.outdir !== undefined, env });
  printReport(report);
  if (report.problems.length > 0) return 1;
  for (const note of plan.notes) out(`note ${note}`);

  const result = await deployPlan(plan, { credentials, packages: packageFunctions(plan, built.outdir), log: out, workDir: options.workDir });
  if (plan.triggers.some((t) => t.type === 'http')) {
    out(
      result.url
        ? `\nbase URL: ${result.url}\n  clients call ${result.url}/weapp/{roomType}/{action}; smoke test: curl '${result.url}/weapp/utils/check_config'`
        : '\nThe Function URL trigger is in place, but the API answer carried no address: read it in the SCF console (function -> Function URL).',
    );
  }
  return 0;
}

if (require.main === module) runOperatorCommand('deploy', main);
