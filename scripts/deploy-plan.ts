/**
 * The deploy plan: what `npm run deploy` and `sls deploy` create, computed
 * offline from serverless.yml (the one declarative description, a Serverless
 * Framework v3 service with `provider: name: tencent`) and the deploy
 * environment (shell, then `.env`; `--stage`/`--region` win). No credentials,
 * no network: `--dry-run` and `sls package` show exactly this, and
 * `scripts/deploy.ts` hands it to tencent-component-toolkit.
 *
 * The file's values are `${env:NAME, 'default'}` references, resolved here the
 * way the Framework resolves them (the Framework checks the same file with the
 * schema of deploy-check.ts, so both read one shape). Each function's
 * variables are derived from shared/config.ts (CONFIG_VARIABLES): every
 * setting that is set, so a setting added there is deployed without touching
 * the YAML. SCF names are `<service>-<stage>-<app>-<function>` (the names the
 * multi-scf component gave, so earlier deployments update in place).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../shared/config';

/** js-yaml: the parser the Serverless Framework reads serverless.yml with. */
const yaml = require('js-yaml') as {
  load(text: string, options?: { filename?: string; schema?: unknown }): unknown;
  DEFAULT_SAFE_SCHEMA?: unknown;
  DEFAULT_SCHEMA?: unknown;
};

export const ROOT = resolve(__dirname, '..');

export function loadYaml(file: string): unknown {
  const schema = yaml.DEFAULT_SAFE_SCHEMA ?? yaml.DEFAULT_SCHEMA;
  return yaml.load(readFileSync(resolve(ROOT, file), 'utf8'), { filename: file, schema });
}

/**
 * `${env:NAME}` or `${env:NAME, 'fallback'}` (also "fallback", or null): the
 * one variable form the file may use. The Framework refuses an unset
 * `${env:NAME}` without a fallback, so every reference carries one.
 */
export const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?:,\s*(?:'([^']*)'|"([^"]*)"|(null)))?\}$/;

/** Variables of the deployment itself (not of the service), with their defaults. */
export const DEPLOY_VARIABLES: Readonly<Record<string, { default?: string; secret?: boolean; about: string }>> = {
  TENCENT_SECRET_ID: { secret: true, about: 'CAM API key id that deploys (never reaches the functions)' },
  TENCENT_SECRET_KEY: { secret: true, about: 'CAM API key that deploys' },
  TENCENT_TOKEN: { secret: true, about: 'session token, only with temporary deploy credentials' },
  APP: { default: 'roomservice', about: 'application name; part of every function name' },
  STAGE: { default: 'dev', about: 'stage (dev, prod ...); part of every function name' },
  REGION: { default: 'ap-guangzhou', about: 'SCF region, the same as the Redis instance' },
  VPC_ID: { about: 'VPC of the TencentDB for Redis instance' },
  SUBNET_ID: { about: 'subnet in that VPC for the functions' },
  EXECUTION_ROLE: { about: 'CAM role the functions run as (gives them TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN); see docs/deploy.md' },
  DEPLOY_ALLOW_DEMO_AUTH: { about: 'yes: deploy with AUTH_MODE=demo (anyone signs as anyone); the deploy refuses demo otherwise' },
};

/** Config variables that mean nothing on SCF. */
export const LOCAL_ONLY_VARIABLES: Readonly<Record<string, string>> = {
  PORT: 'serves the local gateway and the self-hosted server only',
  HOST: 'serves the self-hosted server only',
  WORKERS: 'serves the self-hosted server only',
  SWEEP_INTERVAL_MS: 'the local gateway and the self-hosted server only (SCF: the sweeper timer trigger)',
  SHUTDOWN_GRACE_MS: 'serves the self-hosted server only',
};

/** SCF refuses user variables with these prefixes (doc 583/32748): the platform sets them. */
export const RESERVED_PREFIXES = ['SCF_', 'QCLOUD_', 'TENCENTCLOUD_'] as const;

/** The service variables a deploy passes through: every setting of shared/config.ts that SCF accepts. */
export function serviceVariables(): string[] {
  return CONFIG_VARIABLES.filter((name) => !(name in LOCAL_ONLY_VARIABLES) && !RESERVED_PREFIXES.some((p) => name.startsWith(p)));
}

/**
 * The variables a function cannot run without: the ones shared/config.ts
 * reports as required when nothing is set, plus REDIS_URL (optional only for
 * the local gateway). Derived, so a new required setting needs no edit here.
 */
export function requiredVariables(): string[] {
  let problems: string[] = [];
  try {
    loadConfig({});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  const named = problems.map((p) => /^([A-Z][A-Z0-9_]*) is required$/.exec(p)?.[1]).filter((n): n is string => Boolean(n));
  return [...new Set(['REDIS_URL', ...named])];
}

/** A value shown in the plan or a log: names always, secret values never. */
const SECRET_NAME = /SECRET|_KEY$|TOKEN|PASSWORD/;
export function shownValue(name: string, value: string): string {
  if (SECRET_NAME.test(name)) return '***';
  // A Redis URL carries the instance password: keep host and port, hide the rest of the userinfo.
  if (/_URL$/.test(name)) return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
  return value;
}

// ---------------------------------------------------------------- the plan

export interface PlannedFunction {
  /** The key in serverless.yml (router, sweeper), also the bundle directory dist/<key>/. */
  key: string;
  /** The SCF function name. */
  name: string;
  namespace: string;
  runtime: string;
  handler: string;
  memorySize: number;
  timeout: number;
  description: string | undefined;
  role: string | undefined;
  environment: Record<string, string>;
  vpc: { vpcId: string; subnetId: string } | undefined;
}

export type PlannedTrigger =
  | { type: 'timer'; function: string; name: string; cronExpression: string; enable: boolean; qualifier: string }
  | { type: 'http'; function: string; name: string; authType: string; netConfig: { enableIntranet: boolean; enableExtranet: boolean }; qualifier: string };

export interface DeployPlan {
  file: string;
  service: string;
  app: string;
  stage: string;
  region: string;
  namespace: string;
  /** COS bucket for the code packages, without the `-<appid>` suffix (the components' default bucket). */
  codeBucket: string;
  functions: PlannedFunction[];
  triggers: PlannedTrigger[];
  /** Why a setting was left out or adjusted (unset variables, reserved names). */
  notes: string[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `${env:NAME, 'fallback'}` -> the variable, else its fallback; literals stay; unset without fallback -> undefined. */
export function resolveValue(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const ref = ENV_REF.exec(value);
    if (!ref) throw new Error(`${value}: the only variable form this file may use is \${env:NAME, 'default'}`);
    const fallback = ref[2] ?? ref[3];
    return env[ref[1]!]?.trim() || fallback || undefined;
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, env));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, env)]));
  return value;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

/** The events of one function as the file declares them: a list of one-key objects (`- timer: {...}`). */
function eventsOf(fn: Loose): [string, Loose][] {
  return (Array.isArray(fn.events) ? fn.events : []).flatMap((event) => (isObject(event) ? Object.entries(event).map(([type, p]) => [type, isObject(p) ? p : {}] as [string, Loose]) : []));
}

/**
 * The plan for one deploy file; throws with a readable message when the file
 * cannot describe a deploy. `env` is the deploy environment: the shell and
 * .env, with STAGE/REGION already replaced by `--stage`/`--region` if given.
 */
export function buildPlan(file: string, env: NodeJS.ProcessEnv): DeployPlan {
  const doc = loadYaml(file);
  if (!isObject(doc) || !isObject(doc.provider) || !isObject(doc.functions)) throw new Error(`${file}: no provider or functions`);
  const resolved = resolveValue(doc, env) as Loose & { provider: Loose; functions: Record<string, Loose> };
  const provider = resolved.provider;
  const notes: string[] = [];
  const service = str(resolved.service) ?? 'roomservice';
  const app = str(provider.app) ?? DEPLOY_VARIABLES.APP!.default!;
  const stage = str(provider.stage) ?? DEPLOY_VARIABLES.STAGE!.default!;
  const region = str(provider.region) ?? DEPLOY_VARIABLES.REGION!.default!;
  const namespace = str(provider.namespace) ?? 'default';
  const providerVpc = isObject(provider.vpc) ? provider.vpc : {};

  // The service's own variables, shared by every function (derived from shared/config.ts).
  const environment: Record<string, string> = {};
  for (const name of serviceVariables().sort()) {
    const value = env[name]?.trim();
    if (value) environment[name] = value;
  }

  const functions: PlannedFunction[] = Object.entries(resolved.functions).map(([key, raw]) => {
    const fn = isObject(raw) ? raw : {};
    const vpc = isObject(fn.vpc) ? fn.vpc : providerVpc;
    const vpcId = str(vpc.vpcId);
    const subnetId = str(vpc.subnetId);
    return {
      key,
      name: `${service}-${stage}-${app}-${key}`,
      namespace,
      runtime: str(fn.runtime) ?? str(provider.runtime) ?? '',
      handler: str(fn.handler) ?? 'index.main_handler',
      memorySize: Number(fn.memorySize ?? provider.memorySize ?? 128),
      timeout: Number(fn.timeout ?? provider.timeout ?? 3),
      description: str(fn.description),
      role: str(fn.role) ?? str(provider.role),
      environment: { ...environment },
      vpc: vpcId && subnetId ? { vpcId, subnetId } : undefined,
    };
  });
  if (functions.some((fn) => !fn.vpc)) notes.push('VPC_ID / SUBNET_ID not set: the functions will not join the Redis instance\'s VPC');
  if (functions.some((fn) => !fn.role)) notes.push('EXECUTION_ROLE not set: the functions get no TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN');

  const triggers: PlannedTrigger[] = [];
  for (const [key, raw] of Object.entries(resolved.functions)) {
    const fn = functions.find((f) => f.key === key)!;
    for (const [type, p] of eventsOf(isObject(raw) ? raw : {})) {
      if (type === 'timer') {
        triggers.push({ type: 'timer', function: fn.name, name: str(p.name) ?? 'timer', cronExpression: str(p.cronExpression) ?? '', enable: p.enable === true, qualifier: str(p.qualifier) ?? '$DEFAULT' });
      } else if (type === 'http') {
        const net = isObject(p.netConfig) ? p.netConfig : {};
        triggers.push({
          type: 'http',
          function: fn.name,
          name: str(p.name) ?? 'url-trigger',
          authType: str(p.authType) ?? 'NONE',
          // The toolkit's defaults (false for both): a Function URL without enableExtranet is unreachable from clients.
          netConfig: { enableIntranet: net.enableIntranet === true, enableExtranet: net.enableExtranet === true },
          qualifier: str(p.qualifier) ?? '$DEFAULT',
        });
      } else {
        throw new Error(`${file}: function ${key}: event type ${type} is not one this deploy knows (timer, http)`);
      }
    }
  }
  return { file, service, app, stage, region, namespace, codeBucket: `sls-cloudfunction-${region}-code`, functions, triggers, notes };
}

/** A plan's function by its key in the file (router, sweeper), or a readable error listing the keys. */
export function plannedFunction(plan: DeployPlan, key: string): PlannedFunction {
  const fn = plan.functions.find((f) => f.key === key || f.name === key);
  if (!fn) throw new Error(`no function ${key} in ${plan.file} (functions: ${plan.functions.map((f) => f.key).join(', ')})`);
  return fn;
}

export interface PlanJson {
  region: string;
  app: string;
  stage: string;
  namespace: string;
  functions: (Pick<PlannedFunction, 'name' | 'runtime' | 'handler' | 'memorySize' | 'timeout' | 'environment'> & { role?: string; vpc: PlannedFunction['vpc'] | null })[];
  triggers: PlannedTrigger[];
  notes: string[];
}

/** The plan as `--dry-run --json` prints it (and `sls package` writes it): every name, no secret value. */
export function planJson(plan: DeployPlan): PlanJson {
  return {
    region: plan.region,
    app: plan.app,
    stage: plan.stage,
    namespace: plan.namespace,
    functions: plan.functions.map((fn) => ({
      name: fn.name,
      runtime: fn.runtime,
      handler: fn.handler,
      memorySize: fn.memorySize,
      timeout: fn.timeout,
      ...(fn.role ? { role: fn.role } : {}),
      environment: Object.fromEntries(Object.entries(fn.environment).map(([name, value]) => [name, shownValue(name, value)])),
      vpc: fn.vpc ?? null,
    })),
    triggers: plan.triggers,
    notes: plan.notes,
  };
}
