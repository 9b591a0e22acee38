/**
 * The deploy's commands, one implementation for `npm run deploy` and for the
 * Serverless Framework (`sls package|deploy|info|remove|invoke|logs`, through
 * the local plugin deploy/serverless-plugin, scripts/serverless-plugin.ts).
 *
 *   npm run deploy [-- --stage=S --region=R] [--dry-run [--json]] [--remove]
 *
 * A deploy reads serverless.yml and `.env` (or the shell) into a plan
 * (deploy-plan.ts), refuses a plan that cannot work (deploy-preflight.ts),
 * builds and checks the bundles, then drives tencent-component-toolkit, the
 * library Tencent's Serverless components run on: each function's code package
 * to the COS code bucket, every function created or updated (runtime, handler,
 * memory, timeout, VPC, role, every variable set), the triggers (the
 * sweeper's timer, the router's Function URL); then it reads every function
 * back (GetFunction) and fails when SCF holds something else than the plan. It
 * prints the base URL clients use. `--remove` deletes the functions (their
 * triggers go with them).
 *
 * `--dry-run` needs no credentials and no network: it prints the plan (with
 * `--json`, exactly as JSON on stdout; secret values are "***").
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, ROOT, buildFunctions } from './build';
import { DEPLOY_FILE, checkServerlessFile, optionValue } from './deploy-check';
import { buildPlan, planJson, plannedFunction, shownValue, type DeployPlan, type PlannedFunction, type PlannedTrigger } from './deploy-plan';
import { preflight } from './deploy-preflight';
import { zipDirectory } from './deploy-zip';
import { runOperatorCommand } from './dotenv';
import { failedResponse } from './invoke';

/** A deploy that stops with a reason naming what to change: printed as is, exit code 1, never a stack trace. */
export class DeployFailure extends Error {}

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

// ---------------------------------------------------------------- tencent-component-toolkit

/* eslint-disable @typescript-eslint/no-explicit-any -- the toolkit's classes, loaded lazily (a dry run never loads them) */
interface Toolkit {
  Scf: new (credentials: Credentials, region: string) => any;
  TriggerManager: new (credentials: Credentials, region: string) => any;
  Cos: new (credentials: Credentials, region: string) => any;
  Account: new (credentials: Credentials, region: string) => any;
  /** A Cloud API 3.0 client of the toolkit's own request layer, for the services it has no module for (CLS). */
  cloudApi: (credentials: Credentials, region: string, service: string, version: string, actions: string[]) => Record<string, (params: Record<string, unknown>) => Promise<any>>;
}

/** The toolkit modules this deploy uses (required one by one: the package index loads every Tencent product). */
function toolkit(): Toolkit {
  const lib = (path: string) => require(`tencent-component-toolkit/lib/modules/${path}`);
  return {
    Scf: lib('scf').default,
    TriggerManager: lib('triggers/manager').TriggerManager,
    Cos: lib('cos').default,
    Account: lib('account').default,
    cloudApi(credentials, region, service, version, actions) {
      const { Capi } = require(require.resolve('@tencent-sdk/capi', { paths: [require.resolve('tencent-component-toolkit/lib/modules/scf')] }));
      const { ApiFactory } = require('tencent-component-toolkit/lib/utils/api');
      const capi = new Capi({ Region: region, ServiceType: service, SecretId: credentials.SecretId, SecretKey: credentials.SecretKey, Token: credentials.Token });
      const apis = ApiFactory({ serviceType: service, version, actions, isV3: true });
      return Object.fromEntries(actions.map((action) => [action, (params: Record<string, unknown>) => apis[action](capi, params)]));
    },
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

/**
 * The triggers as the toolkit's TriggerManager takes them. A timer's
 * `argument` is '' because ListTriggers answers CustomArgument "" for a timer
 * without one, and the toolkit's timer key includes it: left undefined, the key
 * of an unchanged timer never matches, and every deploy deletes and recreates
 * it (a gap in the sweeps).
 */
export function toolkitTriggerInputs(plan: DeployPlan, only?: PlannedFunction): Record<string, unknown>[] {
  const fnRef = (name: string) => ({ name, namespace: plan.namespace });
  return plan.triggers
    .filter((trigger) => !only || trigger.function === only.name)
    .map((trigger) => {
      if (trigger.type === 'timer') {
        const { name, cronExpression, enable, qualifier } = trigger;
        return { type: 'timer', function: fnRef(trigger.function), parameters: { name, cronExpression, enable, qualifier, argument: '' } };
      }
      const { name, qualifier, authType, netConfig } = trigger;
      return { type: 'http', function: fnRef(trigger.function), parameters: { name, qualifier, authType, netConfig } };
    });
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
const stdout: Log = (line) => process.stdout.write(`${line}\n`);

/** Where `sls package` writes the code packages and the plan (the Framework's own output directory). */
export const PACKAGE_DIR = join(ROOT, '.serverless');

interface DeployOptions {
  credentials: Credentials;
  packages: Record<string, Buffer>;
  log?: Log;
  workDir?: string;
  /** Deploy only this function (and its triggers): `sls deploy function -f NAME`. */
  only?: PlannedFunction;
}

/** Uploads the packages, creates or updates every function and trigger of the plan, then reads every function back. */
export async function deployPlan(plan: DeployPlan, options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? stdout;
  const tk = toolkit();
  const { credentials } = options;
  const { appId } = (await new tk.Account(credentials, plan.region).get()) as { appId: string };
  if (!appId) throw new DeployFailure('the account API returned no AppId for these credentials');
  const bucket = `${plan.codeBucket}-${appId}`;
  const cos = new tk.Cos(credentials, plan.region);
  await cos.deploy({ bucket, force: true, lifecycle: CODE_BUCKET_LIFECYCLE });

  const workDir = options.workDir ?? join(PACKAGE_DIR, 'upload');
  mkdirSync(workDir, { recursive: true });
  const scf = new tk.Scf(credentials, plan.region);
  const functions = options.only ? [options.only] : plan.functions;
  for (const fn of functions) {
    const zip = options.packages[fn.key];
    if (!zip) throw new DeployFailure(`no code package for function ${fn.key}`);
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
  const triggers = toolkitTriggerInputs(plan, options.only);
  if (triggers.length > 0) {
    const manager = new tk.TriggerManager(credentials, plan.region);
    const { triggerList } = (await manager.bulkCreateTriggers(triggers, plan.namespace)) as { triggerList: unknown };
    for (const trigger of plan.triggers) if (!options.only || trigger.function === options.only.name) log(`trigger  ${trigger.type} -> ${trigger.function}`);
    url = findFunctionUrl(triggerList);
    // CreateTrigger's answer may not carry the address yet; the function's trigger list does.
    const urlTrigger = plan.triggers.find((t) => t.type === 'http' && (!options.only || t.function === options.only.name));
    if (!url && urlTrigger) url = findFunctionUrl(await scf.getTriggerList(urlTrigger.function, plan.namespace));
  }

  const differences: string[] = [];
  for (const fn of functions) differences.push(...readBackDifferences(fn, await getFunction(scf, fn)));
  if (differences.length > 0) {
    throw new DeployFailure(`SCF does not hold what was deployed:\n${differences.map((d) => `     - ${d}`).join('\n')}`);
  }
  log(`checked  ${functions.map((fn) => fn.name).join(', ')}: runtime, memory, timeout, VPC and variables as planned`);
  return { functions: functions.map((fn) => fn.name), url, bucket };
}

/** GetFunction of one planned function (the toolkit's request layer), or undefined when it does not exist. */
async function getFunction(scf: any, fn: PlannedFunction): Promise<Record<string, any> | undefined> {
  return (await scf.scf.get({ functionName: fn.name, namespace: fn.namespace })) as Record<string, any> | undefined;
}

/**
 * How a function as GetFunction describes it differs from its plan: runtime,
 * memory, timeout, VPC, variables (names only: values may be secrets). The
 * toolkit never sends Runtime on an update, so a function first created with
 * another runtime keeps it: this is where that shows.
 */
export function readBackDifferences(fn: PlannedFunction, found: Record<string, any> | undefined): string[] {
  if (!found) return [`function ${fn.name} does not exist after the deploy`];
  const out: string[] = [];
  const differs = (what: string, actual: unknown, planned: unknown, hint = '') => {
    if (String(actual ?? '') !== String(planned ?? '')) out.push(`function ${fn.name}: ${what} is ${JSON.stringify(actual ?? null)}, the plan says ${JSON.stringify(planned ?? null)}${hint}`);
  };
  differs(
    'runtime',
    found.Runtime,
    fn.runtime,
    ' (an update never changes the runtime: remove the function with `sls remove` or `npm run deploy -- --remove` and deploy again, or change it in the SCF console)',
  );
  differs('memory (MB)', found.MemorySize, fn.memorySize);
  differs('timeout (s)', found.Timeout, fn.timeout);
  const vpc = found.VpcConfig as { VpcId?: string; SubnetId?: string } | undefined;
  differs('VPC', vpc?.VpcId ? `${vpc.VpcId}/${vpc.SubnetId ?? ''}` : '', fn.vpc ? `${fn.vpc.vpcId}/${fn.vpc.subnetId}` : '');
  const actual = new Map(((found.Environment?.Variables ?? []) as { Key: string; Value: string }[]).filter((v) => v.Key !== '').map((v) => [v.Key, v.Value]));
  const missing = Object.keys(fn.environment).filter((name) => !actual.has(name));
  const changed = Object.keys(fn.environment).filter((name) => actual.has(name) && actual.get(name) !== fn.environment[name]);
  const extra = [...actual.keys()].filter((name) => !(name in fn.environment));
  if (missing.length > 0) out.push(`function ${fn.name}: variables missing: ${missing.join(', ')}`);
  if (changed.length > 0) out.push(`function ${fn.name}: variables with another value: ${changed.join(', ')}`);
  if (extra.length > 0) out.push(`function ${fn.name}: variables not in the plan: ${extra.join(', ')}`);
  return out;
}

/** Deletes the plan's functions (SCF deletes their triggers with them). The code bucket stays: its packages expire. */
export async function removePlan(plan: DeployPlan, options: { credentials: Credentials; log?: Log }): Promise<string[]> {
  const log = options.log ?? stdout;
  const scf = new (toolkit().Scf)(options.credentials, plan.region);
  const removed: string[] = [];
  for (const fn of plan.functions) {
    await scf.remove({ functionName: fn.name, namespace: fn.namespace });
    removed.push(fn.name);
    log(`removed  ${fn.name}`);
  }
  return removed;
}

/** `sls info`: each function as SCF holds it, and the base URL. */
export async function describeDeployed(plan: DeployPlan, options: { credentials: Credentials; log?: Log }): Promise<{ url: string | undefined }> {
  const log = options.log ?? stdout;
  const scf = new (toolkit().Scf)(options.credentials, plan.region);
  log(`service ${plan.service}, stage ${plan.stage}, region ${plan.region}, namespace ${plan.namespace}`);
  let url: string | undefined;
  for (const fn of plan.functions) {
    const found = await getFunction(scf, fn);
    if (!found) {
      log(`  ${fn.key}: ${fn.name} is not deployed`);
      continue;
    }
    log(`  ${fn.key}: ${fn.name}, ${found.Status ?? '?'}, ${found.Runtime}, ${found.MemorySize} MB, ${found.Timeout} s, modified ${found.ModTime ?? '?'}`);
    const triggers = (await scf.getTriggerList(fn.name, fn.namespace)) as { Type: string; TriggerName: string }[];
    for (const trigger of triggers) log(`    trigger ${trigger.Type} ${trigger.TriggerName}`);
    url ??= findFunctionUrl(triggers);
  }
  log(url ? `base URL: ${url}` : 'base URL: none (the router is not deployed, or its Function URL carries no public address)');
  return { url };
}

/**
 * `sls invoke -f NAME`: SCF's Invoke API (synchronous, the event as
 * ClientContext, on $LATEST). Answers what the function returned; a failed
 * invocation or an HTTP 5xx answer is a DeployFailure.
 */
export async function invokeDeployed(plan: DeployPlan, key: string, event: unknown, options: { credentials: Credentials; log?: Log }): Promise<unknown> {
  const log = options.log ?? stdout;
  const fn = plannedFunction(plan, key);
  const scf = new (toolkit().Scf)(options.credentials, plan.region);
  const { Result: result } = (await scf.invoke({ functionName: fn.name, namespace: fn.namespace, qualifier: '$LATEST', clientContext: event })) as {
    Result: { RetMsg?: string; ErrMsg?: string; Log?: string; InvokeResult?: number; FunctionRequestId?: string; Duration?: number };
  };
  if (result.Log) log(result.Log.trimEnd());
  let answer: unknown = result.RetMsg;
  try {
    answer = JSON.parse(result.RetMsg ?? '');
  } catch {
    // not JSON: shown as is
  }
  log(typeof answer === 'string' ? answer : JSON.stringify(answer, null, 2));
  log(`request ${result.FunctionRequestId ?? '?'}, ${result.Duration ?? '?'} ms`);
  if (result.InvokeResult !== undefined && result.InvokeResult !== 0) throw new DeployFailure(`function ${fn.name} failed (InvokeResult ${result.InvokeResult}): ${result.ErrMsg || result.RetMsg || 'no message'}`);
  if (failedResponse(answer)) throw new DeployFailure(`function ${fn.name} answered a server-side failure (HTTP 5xx or a non-zero code)`);
  return answer;
}

/** CLS's search API (Cloud API 3.0, cls 2020-10-16): SCF writes each function's logs to the topic GetFunction names. */
const CLS = { service: 'cls', version: '2020-10-16' } as const;

/**
 * `sls logs -f NAME`: the function's recent log lines. SCF's own
 * GetFunctionLogs is disused (doc 583/18583; offline since 2021-07-01, doc
 * 583/39328); its logs go to CLS, searched with SearchLog on the function's
 * ClsTopicId and `SCF_Namespace:"ns" AND SCF_FunctionName:"name"` (doc 583/43329).
 */
export async function recentLogs(
  plan: DeployPlan,
  key: string,
  options: { credentials: Credentials; sinceMs: number; filter?: string; limit?: number; log?: Log; now?: number },
): Promise<number> {
  const log = options.log ?? stdout;
  const fn = plannedFunction(plan, key);
  const tk = toolkit();
  const found = await getFunction(new tk.Scf(options.credentials, plan.region), fn);
  if (!found) throw new DeployFailure(`function ${fn.name} is not deployed (region ${plan.region})`);
  if (!found.ClsTopicId) throw new DeployFailure(`function ${fn.name} has no CLS log topic (GetFunction ClsTopicId is empty): set one in the SCF console (function -> log configuration)`);
  const cls = tk.cloudApi(options.credentials, plan.region, CLS.service, CLS.version, ['SearchLog']);
  const to = options.now ?? Date.now();
  const query = `SCF_Namespace:"${fn.namespace}" AND SCF_FunctionName:"${fn.name}"${options.filter ? ` AND ${options.filter}` : ''}`;
  const answer = (await cls.SearchLog!({ TopicId: found.ClsTopicId, From: to - options.sinceMs, To: to, Query: query, Limit: options.limit ?? 100, Sort: 'asc', SyntaxRule: 1 })) as {
    Results?: { Time: number; LogJson?: string }[];
  };
  const results = answer.Results ?? [];
  for (const entry of results) {
    let fields: Record<string, unknown> = {};
    try {
      fields = JSON.parse(entry.LogJson ?? '{}') as Record<string, unknown>;
    } catch {
      // a line that is not JSON: shown by its time only
    }
    log(`${new Date(entry.Time).toISOString()} ${String(fields.SCF_RequestId ?? '-')} ${String(fields.SCF_Message ?? entry.LogJson ?? '').trimEnd()}`);
  }
  if (results.length === 0) log(`no log lines for ${fn.name} since ${new Date(to - options.sinceMs).toISOString()}`);
  return results.length;
}

/** One zip per function, from its bundle directory dist/<key>/. */
export function packageFunctions(plan: DeployPlan, distDir = DIST_DIR, only?: PlannedFunction): Record<string, Buffer> {
  return Object.fromEntries((only ? [only] : plan.functions).map((fn) => [fn.key, zipDirectory(join(distDir, fn.key))]));
}

// ---------------------------------------------------------------- the commands, shared by npm run deploy and sls

/** The deploy environment with `--stage` / `--region` in place of STAGE / REGION (options win, as Framework users expect). */
export function deployEnvironment(env: NodeJS.ProcessEnv, options: { stage?: string; region?: string }): NodeJS.ProcessEnv {
  return { ...env, ...(options.stage ? { STAGE: options.stage } : {}), ...(options.region ? { REGION: options.region } : {}) };
}

/** The deploy key, or a DeployFailure naming the variables (never their values). */
export function requireCredentials(env: NodeJS.ProcessEnv): Credentials {
  const credentials = credentialsFrom(env);
  if (!credentials) throw new DeployFailure('set TENCENT_SECRET_ID and TENCENT_SECRET_KEY (in .env or the shell): the CAM key that deploys');
  return credentials;
}

/** The preflight's verdict as one failure naming every setting to change. */
export function refuseUnworkable(plan: DeployPlan, env: NodeJS.ProcessEnv): void {
  const problems = preflight(plan, env);
  if (problems.length > 0) throw new DeployFailure(`this deploy cannot work; change these settings (in .env or the shell):\n${problems.map((p) => `     - ${p}`).join('\n')}`);
}

export interface PackageOptions {
  /** Where the bundles are built (default .serverless/dist/). */
  outdir?: string;
  /** Only this function (`sls deploy function -f NAME`, `sls invoke local`). */
  only?: PlannedFunction;
  /** Also write the zips and plan.json here (`sls package`). */
  writeTo?: string;
  log?: Log;
}

/** Builds the plan's bundles, checks serverless.yml and zips each bundle: everything a deploy uploads, offline. */
export async function packageService(plan: DeployPlan, options: PackageOptions = {}): Promise<Record<string, Buffer>> {
  const log = options.log ?? stdout;
  const keys = (options.only ? [options.only] : plan.functions).map((fn) => fn.key);
  // Built apart from dist/ (which holds every function's bundle for `npm run invoke`): only what is deployed.
  const built = await buildFunctions({ outdir: options.outdir ?? join(PACKAGE_DIR, 'dist'), functions: keys });
  if (built.problems.length > 0) throw new DeployFailure(`build:\n${built.problems.map((p) => `     - ${p}`).join('\n')}`);
  // The bundles were just built and are checked by the packaging below.
  const report = checkServerlessFile(DEPLOY_FILE, { skipDist: true, env: { STAGE: plan.stage, APP: plan.app } });
  if (report.problems.length > 0) throw new DeployFailure(`${report.file}:\n${report.problems.map((p) => `     - ${p}`).join('\n')}`);
  log(`checked  ${report.file}: ${report.functions.join(', ')}`);
  // Warnings do not stop a deploy (e.g. a code cache this Node makes that SCF's will not use).
  for (const warning of report.warnings) log(`warn     ${warning}`);
  const packages = packageFunctions(plan, built.outdir, options.only);
  if (options.writeTo) {
    mkdirSync(options.writeTo, { recursive: true });
    for (const [key, zip] of Object.entries(packages)) {
      writeFileSync(join(options.writeTo, `${key}.zip`), zip);
      log(`package  ${key}: ${(zip.length / 1024).toFixed(1)} KiB -> ${join(options.writeTo, `${key}.zip`)}`);
    }
    writeFileSync(join(options.writeTo, 'plan.json'), `${JSON.stringify(planJson(plan), null, 2)}\n`);
    log(`plan     ${join(options.writeTo, 'plan.json')} (secrets ***)`);
  }
  return packages;
}

/** Prints the base URL block of a finished deploy. */
export function printBaseUrl(plan: DeployPlan, result: DeployResult, log: Log = stdout): void {
  if (!plan.triggers.some((t) => t.type === 'http' && result.functions.includes(t.function))) return;
  log(
    result.url
      ? `\nbase URL: ${result.url}\n  clients call ${result.url}/weapp/{roomType}/{action}; smoke test: curl '${result.url}/weapp/utils/check_config'`
      : '\nThe Function URL trigger is in place, but the API answer carried no address: read it in the SCF console (function -> Function URL).',
  );
}

// ---------------------------------------------------------------- npm run deploy

function describePlan(plan: DeployPlan, problems: string[]): string {
  const lines = [`plan for ${plan.file}: service ${plan.service}, app ${plan.app}, stage ${plan.stage}, region ${plan.region}, namespace ${plan.namespace}`];
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

export async function main(argv: string[], shell: NodeJS.ProcessEnv = process.env, options: MainOptions = {}): Promise<number> {
  try {
    return await runDeploy(argv, shell, options);
  } catch (error) {
    if (!(error instanceof DeployFailure)) throw error;
    stdout(`FAIL ${error.message}`);
    return 1;
  }
}

async function runDeploy(argv: string[], shell: NodeJS.ProcessEnv, options: MainOptions): Promise<number> {
  if (optionValue(argv, 'target') !== undefined) throw new DeployFailure('--target is gone: the API Gateway mode was retired (docs/deploy.md "API Gateway"); serverless.yml is the one deployment');
  const dryRun = argv.includes('--dry-run');
  const json = argv.includes('--json');
  const remove = argv.includes('--remove');
  if (json && !dryRun) throw new DeployFailure('--json goes with --dry-run');
  const env = deployEnvironment(shell, { stage: optionValue(argv, 'stage'), region: optionValue(argv, 'region') });

  const plan = buildPlan(DEPLOY_FILE, env);
  const problems = remove ? [] : preflight(plan, env);
  if (dryRun) {
    if (json) stdout(JSON.stringify({ ...planJson(plan), ...(remove ? { remove: true } : {}), problems }, null, 2));
    else stdout(`${remove ? 'would remove' : 'would deploy'}\n${describePlan(plan, problems)}`);
    return problems.length > 0 ? 1 : 0;
  }

  const credentials = requireCredentials(env);
  if (remove) {
    await removePlan(plan, { credentials });
    return 0;
  }
  refuseUnworkable(plan, env);
  const packages = await packageService(plan, { outdir: options.outdir });
  for (const note of plan.notes) stdout(`note ${note}`);
  const result = await deployPlan(plan, { credentials, packages, workDir: options.workDir });
  printBaseUrl(plan, result);
  return 0;
}

if (require.main === module) runOperatorCommand('deploy', main);
