/**
 * The deploy plan: what `npm run deploy` creates, computed offline from
 * serverless.yml (the one declarative description) and the deploy environment
 * (shell, then `.env`). No credentials, no network: `--dry-run` prints exactly
 * this, and `scripts/deploy.ts` hands it to tencent-component-toolkit.
 *
 * The file is a `component: multi-scf` file, and the plan reads it the way that
 * component does (its `formatFaasInputs`, see componentFunctionInputs): a
 * function's variables come from `environments`, `vpc` becomes `vpcConfig`,
 * names are `<name>-<stage>-<app>-<key>`. On top of that the service's own
 * variables are derived from shared/config.ts (CONFIG_VARIABLES), so a setting
 * added there is deployed without touching this file or the YAML.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../shared/config';

/** js-yaml ships with the Serverless Components CLI (the parser it reads these files with). */
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

export const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

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
};

/** Config variables that mean nothing on SCF. */
export const LOCAL_ONLY_VARIABLES: Readonly<Record<string, string>> = { PORT: 'serves the local gateway only' };

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

// ---------------------------------------------------------------- the component's transformation

export interface ComponentFunction {
  environment?: { variables: Record<string, string> };
  vpcConfig?: unknown;
  [key: string]: unknown;
}

/**
 * What the multi-scf component (0.3.14, src/formatter.ts formatFaasInputs)
 * makes of one function before handing it to the toolkit: the common inputs
 * merged with the function's own, `environments` (a list of {key, value},
 * default empty) turned into `environment.variables` — replacing whatever
 * `environment` said, so a function declaring only `environment:` gets no
 * variables at all — and `vpc` copied to `vpcConfig`.
 */
export function componentFunctionInputs(common: Record<string, unknown>, fn: Record<string, unknown>): ComponentFunction {
  const inputs: ComponentFunction = { ...common, ...fn };
  const environments = inputs.environments ?? [];
  if (Array.isArray(environments)) {
    const variables: Record<string, string> = {};
    for (const entry of environments as { key: string; value: string }[]) variables[entry.key] = entry.value;
    inputs.environment = { variables };
  }
  if (inputs.vpc) inputs.vpcConfig = inputs.vpc;
  return inputs;
}

// ---------------------------------------------------------------- the plan

export interface PlannedFunction {
  /** The key in serverless.yml (router, sweeper ...), also the bundle directory dist/<key>/. */
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
  | { type: 'http'; function: string; name: string; authType: string; netConfig: { enableIntranet: boolean; enableExtranet: boolean }; qualifier: string }
  | {
      type: 'apigw';
      function: string;
      service: string;
      path: string;
      method: string;
      /** The rest of the route and its service as the YAML declares them (protocols, stage environment, CORS, parameters). */
      protocols: string[];
      environment: string;
      enableCORS: boolean;
      param?: unknown[];
    };

export interface DeployPlan {
  file: string;
  app: string;
  stage: string;
  region: string;
  namespace: string;
  /** COS bucket for the code packages, without the `-<appid>` suffix (the multi-scf component's default). */
  codeBucket: string;
  functions: PlannedFunction[];
  triggers: PlannedTrigger[];
  /** Why a setting was left out or adjusted (unset variables, reserved names). */
  notes: string[];
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `${env:NAME}` -> its value (a deploy default if unset); literals stay; unset -> undefined. */
export function resolveValue(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const ref = ENV_REF.exec(value);
    if (!ref) return value;
    return env[ref[1]!]?.trim() || DEPLOY_VARIABLES[ref[1]!]?.default || undefined;
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, env));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, env)]));
  return value;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);

/** The plan for one deploy file; throws with a readable message when the file cannot describe a deploy. */
export function buildPlan(file: string, env: NodeJS.ProcessEnv): DeployPlan {
  const doc = loadYaml(file);
  if (!isObject(doc) || !isObject(doc.inputs) || !isObject(doc.inputs.functions)) throw new Error(`${file}: no inputs.functions`);
  const resolved = resolveValue(doc, env) as Loose & { inputs: Loose & { functions: Record<string, Loose> } };
  const inputs = resolved.inputs;
  const notes: string[] = [];
  const app = str(resolved.app) ?? DEPLOY_VARIABLES.APP!.default!;
  const stage = str(resolved.stage) ?? DEPLOY_VARIABLES.STAGE!.default!;
  const region = str(inputs.region) ?? DEPLOY_VARIABLES.REGION!.default!;
  const namespace = str(inputs.namespace) ?? 'default';
  const instance = str(resolved.name) ?? app;

  // The service's own variables, shared by every function (derived from shared/config.ts).
  const fromEnvironment: Record<string, string> = {};
  for (const name of serviceVariables()) {
    const value = env[name]?.trim();
    if (value) fromEnvironment[name] = value;
  }
  const common = { runtime: inputs.runtime, namespace, type: inputs.type ?? 'event', description: inputs.description };
  const unsetInYaml = new Set<string>();

  const functions: PlannedFunction[] = Object.entries(inputs.functions).map(([key, raw]) => {
    // Entries whose ${env:NAME} is unset are dropped before the transformation: the
    // component would send SCF the string "undefined", which the service rejects.
    const own = { ...raw };
    if (Array.isArray(own.environments)) {
      own.environments = (own.environments as { key: string; value: unknown }[]).filter((entry) => {
        if (str(entry.value) !== undefined) return true;
        unsetInYaml.add(entry.key);
        return false;
      });
    }
    const fn = componentFunctionInputs(common, own);
    const environment: Record<string, string> = { ...fromEnvironment };
    for (const [name, value] of Object.entries(fn.environment?.variables ?? {})) {
      if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) notes.push(`function ${key}: ${name} left out: SCF reserves the ${name.split('_')[0]}_ prefix`);
      else environment[name] = String(value);
    }
    const vpc = isObject(fn.vpcConfig) && str(fn.vpcConfig.vpcId) && str(fn.vpcConfig.subnetId)
      ? { vpcId: str(fn.vpcConfig.vpcId)!, subnetId: str(fn.vpcConfig.subnetId)! }
      : undefined;
    return {
      key,
      name: str(fn.name) ?? `${instance}-${stage}-${app}-${key}`,
      namespace,
      runtime: str(fn.runtime) ?? '',
      handler: str(fn.handler) ?? 'index.main_handler',
      memorySize: Number(fn.memorySize ?? 128),
      timeout: Number(fn.timeout ?? 3),
      description: str(fn.description),
      role: str(fn.role),
      environment: Object.fromEntries(Object.entries(environment).sort(([a], [b]) => a.localeCompare(b))),
      vpc,
    };
  });
  const unset = [...unsetInYaml].filter((name) => !functions.some((fn) => name in fn.environment));
  if (unset.length > 0) notes.push(`not set, so not deployed (the service uses its default): ${unset.sort().join(', ')}`);
  if (functions.some((fn) => !fn.vpc)) notes.push('VPC_ID / SUBNET_ID not set: the functions will not join the Redis instance\'s VPC');
  if (functions.some((fn) => !fn.role)) notes.push('EXECUTION_ROLE not set: the functions get no TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN');

  const nameOf = (key: unknown): string => {
    const fn = functions.find((f) => f.key === key);
    if (!fn) throw new Error(`${file}: a trigger names function ${String(key)}, which is not declared`);
    return fn.name;
  };
  const triggers: PlannedTrigger[] = [];
  for (const trigger of (inputs.triggers ?? []) as Loose[]) {
    const p = (isObject(trigger.parameters) ? trigger.parameters : {}) as Loose;
    if (trigger.type === 'timer') {
      triggers.push({ type: 'timer', function: nameOf(trigger.function), name: str(p.name) ?? 'timer', cronExpression: str(p.cronExpression) ?? '', enable: p.enable === true, qualifier: str(p.qualifier) ?? '$DEFAULT' });
    } else if (trigger.type === 'http') {
      const net = (isObject(p.netConfig) ? p.netConfig : {}) as Loose;
      triggers.push({
        type: 'http',
        function: nameOf(trigger.function),
        name: str(p.name) ?? 'url-trigger',
        authType: str(p.authType) ?? 'NONE',
        // The toolkit's defaults (false for both): a Function URL without enableExtranet is unreachable from clients.
        netConfig: { enableIntranet: net.enableIntranet === true, enableExtranet: net.enableExtranet === true },
        qualifier: str(p.qualifier) ?? '$DEFAULT',
      });
    } else if (trigger.type === 'apigw') {
      for (const api of (Array.isArray(p.apis) ? p.apis : []) as Loose[]) {
        triggers.push({
          type: 'apigw',
          function: nameOf(api.function),
          service: str(p.name) ?? instance,
          path: str(api.path) ?? '/',
          method: str(api.method) ?? 'ANY',
          protocols: Array.isArray(p.protocols) ? p.protocols.map(String) : ['https'],
          environment: str(p.environment) ?? 'release',
          enableCORS: api.enableCORS === true,
          ...(Array.isArray(api.param) ? { param: api.param } : {}),
        });
      }
    } else {
      throw new Error(`${file}: trigger type ${String(trigger.type)} is not one this deploy knows (timer, http, apigw)`);
    }
  }
  return { file, app, stage, region, namespace, codeBucket: `sls-cloudfunction-${region}-code`, functions, triggers, notes };
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

/** The plan as `--dry-run --json` prints it: every name, no secret value. */
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
