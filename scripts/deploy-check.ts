/**
 * `npm run deploy:check`: offline validation of the deployment files, so a
 * mistake fails here instead of half-way through a cloud deploy.
 *
 *   tsx scripts/deploy-check.ts [--target=DIR] [--skip-dist]
 *   tsx scripts/deploy-check.ts [--target=DIR] --exec <components command> [args...]
 *
 * Checks serverless.yml (router mode) and deploy/apigw/serverless.yml
 * (per-function mode), or only the one in --target:
 *  - the fields used exist in the multi-scf component's schema (a typo such as
 *    `memory:` is an error, not a silently ignored key);
 *  - the functions are exactly the files of functions/ (per-function mode) or
 *    router + sweeper (router mode), each with `index.main_handler` and its
 *    bundle present in dist/ (unless --skip-dist);
 *  - every function gets every variable of shared/config.ts as `${env:NAME}`
 *    and no `${env:...}` names anything else than a config or deploy variable;
 *  - the sweeper's timer has a 7-field cron and `enable: true`;
 *  - the API Gateway routes are exactly the endpoints (method, path, function,
 *    CORS, the `roomType` path parameter);
 *  - the runtime matches the bundles' build target and the generated function
 *    names fit SCF's 60 characters.
 *
 * With --exec it then runs the Serverless Components CLI (`npm run deploy` uses
 * `--exec deploy`) on one file (the --target one, else serverless.yml): it reads
 * .env like the CLI does, fills the defaults the YAML cannot express
 * (Components variables have no default syntax), refuses to deploy a
 * configuration the service would reject, drops unset variables from a copy of
 * the file (see renderDeployFile) and sets SERVERLESS_PLATFORM_VENDOR=tencent so
 * the CLI talks to Tencent Cloud. `sls deploy` of serverless@3 cannot do this:
 * for a `component:` file it prints a notice and exits 0 without deploying.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../shared/config';
import { ENDPOINTS } from '../functions/router';
import { NODE_TARGET, ROOT, functionNames } from './build';

/** js-yaml ships with the Serverless Components CLI (the parser it reads these files with). */
const yaml = require('js-yaml') as {
  load(text: string, options?: { filename?: string; schema?: unknown }): unknown;
  dump(value: unknown, options?: { lineWidth?: number }): string;
  DEFAULT_SAFE_SCHEMA?: unknown;
  DEFAULT_SCHEMA?: unknown;
};

export type DeployMode = 'router' | 'per-function';

export const DEPLOY_FILES: readonly { mode: DeployMode; file: string }[] = [
  { mode: 'router', file: 'serverless.yml' },
  { mode: 'per-function', file: 'deploy/apigw/serverless.yml' },
];

/** Router mode deploys these two; per-function mode deploys every file of functions/. */
export const ROUTER_MODE_FUNCTIONS = ['router', 'sweeper'] as const;

/** Variables of the deployment itself (not of the service), with their defaults. */
export const DEPLOY_VARIABLES: Readonly<Record<string, { default?: string; about: string }>> = {
  APP: { default: 'roomservice', about: 'Serverless application name' },
  STAGE: { default: 'dev', about: 'stage (dev, prod ...); part of every function name' },
  REGION: { default: 'ap-guangzhou', about: 'SCF region, the same as the Redis instance' },
  VPC_ID: { about: 'VPC of the TencentDB for Redis instance' },
  SUBNET_ID: { about: 'subnet in that VPC for the functions' },
};

/** Config variables that mean nothing on SCF. */
export const LOCAL_ONLY_VARIABLES: Readonly<Record<string, string>> = { PORT: 'serves the local gateway only' };

const SCF_NAME_MAX = 60;

/** The variable names shared/config.ts reads. */
export const configVariables = (): string[] => [...CONFIG_VARIABLES];

// ---------------------------------------------------------------- schema

/** The multi-scf component's inputs, as far as this project uses them (docs/configure.md of the component). */
const ENV_REF = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;
const memorySize = z
  .number()
  .int()
  .refine((mb) => mb === 64 || (mb >= 128 && mb <= 3072 && mb % 128 === 0), 'must be 64 or a multiple of 128 up to 3072 (MB)');

const functionSchema = z.strictObject({
  src: z.string().min(1),
  handler: z.string().min(1),
  name: z.string().optional(),
  description: z.string().max(1000).optional(),
  role: z.string().optional(),
  memorySize,
  timeout: z.number().int().min(1).max(900),
  vpc: z.strictObject({ vpcId: z.string(), subnetId: z.string() }),
  environment: z.array(z.strictObject({ key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() })),
  publicAccess: z.boolean().optional(),
  eip: z.boolean().optional(),
  installDependency: z.boolean().optional(),
});

const timerTrigger = z.strictObject({
  type: z.literal('timer'),
  function: z.string(),
  parameters: z.strictObject({
    name: z.string().min(1),
    cronExpression: z.string(),
    enable: z.boolean(),
    qualifier: z.string().optional(),
    argument: z.string().optional(),
  }),
});

const apiSchema = z.strictObject({
  path: z.string().startsWith('/'),
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'ANY']),
  function: z.string(),
  enableCORS: z.boolean().optional(),
  serviceTimeout: z.number().int().positive().optional(),
  apiName: z.string().optional(),
  description: z.string().optional(),
  param: z
    .array(
      z.strictObject({
        name: z.string(),
        position: z.enum(['PATH', 'QUERY', 'HEADER']),
        required: z.boolean(),
        type: z.string(),
        desc: z.string().optional(),
        defaultValue: z.string().optional(),
      }),
    )
    .optional(),
});

const apigwTrigger = z.strictObject({
  type: z.literal('apigw'),
  parameters: z.strictObject({
    name: z.string().min(1),
    id: z.string().optional(),
    protocols: z.array(z.enum(['http', 'https'])).optional(),
    environment: z.enum(['release', 'test', 'prepub']).optional(),
    netTypes: z.array(z.enum(['OUTER', 'INNER'])).optional(),
    description: z.string().optional(),
    apis: z.array(apiSchema).min(1),
  }),
});

const serverlessSchema = z.strictObject({
  app: z.string().min(1),
  stage: z.string().min(1),
  org: z.string().optional(),
  component: z.literal('multi-scf'),
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be letters, digits and -'),
  inputs: z.strictObject({
    src: z.strictObject({ src: z.string(), exclude: z.array(z.string()).optional() }),
    region: z.string().min(1),
    runtime: z.string().regex(/^Nodejs\d+\.\d+$/, 'must be a Node.js runtime id such as Nodejs20.19'),
    namespace: z.string().optional(),
    type: z.literal('event').optional(),
    functions: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), functionSchema),
    triggers: z.array(z.discriminatedUnion('type', [timerTrigger, apigwTrigger])).optional(),
  }),
});

export type ServerlessFile = z.infer<typeof serverlessSchema>;

// ---------------------------------------------------------------- checks

export interface CheckOptions {
  /** Skip "the bundle exists in dist/" (before a build). */
  skipDist?: boolean;
  /** For the function-name length: APP and STAGE as the deploy will see them. */
  env?: NodeJS.ProcessEnv;
}

export interface CheckReport {
  file: string;
  mode: DeployMode | undefined;
  functions: string[];
  problems: string[];
}

export function loadYaml(file: string): unknown {
  const schema = yaml.DEFAULT_SAFE_SCHEMA ?? yaml.DEFAULT_SCHEMA;
  return yaml.load(readFileSync(file, 'utf8'), { filename: file, schema });
}

/** Every `${env:NAME}` in the document. */
function envReferences(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const match of value.matchAll(/\$\{env:([^}]*)\}/g)) found.add(match[1]!);
  else if (Array.isArray(value)) for (const item of value) envReferences(item, found);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) envReferences(item, found);
  return found;
}

const deployValue = (env: NodeJS.ProcessEnv, name: string) => env[name]?.trim() || DEPLOY_VARIABLES[name]?.default || '';

/** What the value of app/stage resolves to at deploy time (`${env:X}` or a literal). */
function resolved(value: string, env: NodeJS.ProcessEnv): string {
  const ref = ENV_REF.exec(value);
  return ref ? deployValue(env, ref[1]!) : value;
}

function routeOf(endpoint: (typeof ENDPOINTS)[number]): { path: string; method: string } {
  return { path: endpoint.scope === 'room' ? `/weapp/{roomType}/${endpoint.action}` : `/weapp/${endpoint.scope}/${endpoint.action}`, method: endpoint.method };
}

export function checkServerlessFile(file: string, options: CheckOptions = {}): CheckReport {
  const abs = resolve(ROOT, file);
  const shown = relative(ROOT, abs);
  const report: CheckReport = { file: shown, mode: undefined, functions: [], problems: [] };
  const problem = (message: string) => report.problems.push(message);
  if (!existsSync(abs)) {
    problem(`${shown} does not exist`);
    return report;
  }
  let raw: unknown;
  try {
    raw = loadYaml(abs);
  } catch (error) {
    problem(`not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
    return report;
  }
  const parsed = serverlessSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(`${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    return report;
  }
  const doc = parsed.data;
  const { functions, triggers = [] } = doc.inputs;
  const names = Object.keys(functions);
  report.functions = names;
  const timers = triggers.filter((t): t is z.infer<typeof timerTrigger> => t.type === 'timer');
  const gateways = triggers.filter((t): t is z.infer<typeof apigwTrigger> => t.type === 'apigw');
  const mode: DeployMode = gateways.length > 0 ? 'per-function' : 'router';
  report.mode = mode;

  // Functions <-> files.
  const files = functionNames();
  const expected = mode === 'per-function' ? files : [...ROUTER_MODE_FUNCTIONS];
  for (const name of expected) {
    if (!files.includes(name)) problem(`functions/${name}.ts is missing (${mode} mode needs it)`);
    else if (!names.includes(name)) problem(`functions/${name}.ts has no function in ${shown} (${mode} mode)`);
  }
  for (const name of names) {
    if (!files.includes(name)) problem(`function ${name}: functions/${name}.ts does not exist`);
    else if (!expected.includes(name)) problem(`function ${name} does not belong in ${mode} mode (expected: ${expected.join(', ')})`);
  }

  // Handlers and bundles.
  const distDir = resolve(dirname(abs), doc.inputs.src.src);
  if (!options.skipDist && !existsSync(distDir)) problem(`inputs.src.src: ${relative(ROOT, distDir)}/ does not exist: run \`npm run build\``);
  for (const [name, fn] of Object.entries(functions)) {
    if (fn.handler !== 'index.main_handler') problem(`function ${name}: handler must be index.main_handler (every bundle exports main_handler from index.js), not ${fn.handler}`);
    if (fn.src.replace(/^\.\//, '').replace(/\/$/, '') !== name) problem(`function ${name}: src must be ./${name} (the bundle directory dist/${name}/), not ${fn.src}`);
    const bundle = join(distDir, name, 'index.js');
    if (!options.skipDist && existsSync(distDir) && !existsSync(bundle)) problem(`function ${name}: ${relative(ROOT, bundle)} is missing: run \`npm run build\``);
  }

  // Environment.
  const config = configVariables();
  const shipped = config.filter((name) => !(name in LOCAL_ONLY_VARIABLES));
  for (const [name, fn] of Object.entries(functions)) {
    const keys = fn.environment.map((entry) => entry.key);
    const missing = shipped.filter((key) => !keys.includes(key));
    if (missing.length > 0) problem(`function ${name}: environment lacks ${missing.join(', ')}`);
    const duplicated = keys.filter((key, i) => keys.indexOf(key) !== i);
    if (duplicated.length > 0) problem(`function ${name}: environment repeats ${[...new Set(duplicated)].join(', ')}`);
    for (const { key, value } of fn.environment) {
      if (!config.includes(key)) problem(`function ${name}: environment variable ${key} is not a setting of shared/config.ts`);
      else if (key in LOCAL_ONLY_VARIABLES) problem(`function ${name}: ${key} ${LOCAL_ONLY_VARIABLES[key]}; leave it out`);
      if (value !== `\${env:${key}}`) problem(`function ${name}: ${key} must be '\${env:${key}}' (values come from the deploy environment, never from this file), not ${JSON.stringify(value)}`);
    }
    for (const [field, value] of Object.entries(fn.vpc)) if (!ENV_REF.test(value)) problem(`function ${name}: vpc.${field} must be \${env:...}, not ${JSON.stringify(value)}`);
  }
  for (const name of envReferences(raw)) {
    if (!config.includes(name) && !(name in DEPLOY_VARIABLES)) {
      problem(`\${env:${name}} is neither a setting of shared/config.ts nor a deploy variable (${Object.keys(DEPLOY_VARIABLES).join(', ')})`);
    }
  }

  // Runtime vs build target.
  const runtimeMajor = /^Nodejs(\d+)\./.exec(doc.inputs.runtime)?.[1];
  const targetMajor = /^node(\d+)/.exec(NODE_TARGET)?.[1];
  if (runtimeMajor !== targetMajor) problem(`inputs.runtime ${doc.inputs.runtime} does not match the bundles' target ${NODE_TARGET} (scripts/build.ts)`);

  // Timer.
  const sweeperTimers = timers.filter((t) => t.function === 'sweeper');
  if (names.includes('sweeper') && sweeperTimers.length !== 1) problem(`the sweeper needs exactly one timer trigger, found ${sweeperTimers.length}`);
  for (const timer of timers) {
    const where = `timer trigger ${timer.parameters.name}`;
    if (!names.includes(timer.function)) problem(`${where}: function ${timer.function} is not declared`);
    const fields = timer.parameters.cronExpression.trim().split(/\s+/);
    if (fields.length !== 7) problem(`${where}: cronExpression "${timer.parameters.cronExpression}" has ${fields.length} fields; SCF timers take 7 (seconds first)`);
    if (timer.parameters.enable !== true) problem(`${where}: enable must be true (the component creates timers disabled otherwise)`);
  }

  // API Gateway routes.
  if (mode === 'router' && !names.includes('router')) problem('router mode needs the router function');
  if (mode === 'per-function') {
    const apis = gateways.flatMap((gateway) => gateway.parameters.apis);
    const seen = new Set<string>();
    for (const api of apis) {
      const key = `${api.method} ${api.path}`;
      if (seen.has(key)) problem(`route ${key} is declared twice`);
      seen.add(key);
      if (!names.includes(api.function)) problem(`route ${key}: function ${api.function} is not declared`);
      if (api.enableCORS !== true) problem(`route ${key}: enableCORS must be true (browsers call the API)`);
      const pathParams = [...api.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
      for (const param of pathParams) {
        const declared = api.param?.find((p) => p.name === param);
        if (!declared) problem(`route ${key}: path parameter ${param} is not declared in param`);
        else if (declared.position !== 'PATH' || !declared.required) problem(`route ${key}: param ${param} must be position PATH, required`);
      }
      const endpoint = ENDPOINTS.find((e) => e.action === api.function);
      if (endpoint) {
        const route = routeOf(endpoint);
        if (route.path !== api.path || route.method !== api.method) problem(`route ${key}: ${endpoint.action} is served at ${route.method} ${route.path}`);
      } else if (names.includes(api.function)) problem(`route ${key}: function ${api.function} is not an endpoint`);
    }
    for (const endpoint of ENDPOINTS) {
      if (!apis.some((api) => api.function === endpoint.action)) problem(`endpoint ${endpoint.action} has no API Gateway route (${routeOf(endpoint).method} ${routeOf(endpoint).path})`);
    }
  }

  // Generated function names: `${name}-${stage}-${app}-${key}` (multi-scf's naming), at most 60 characters.
  const env = options.env ?? process.env;
  const app = resolved(doc.app, env);
  const stage = resolved(doc.stage, env);
  for (const name of names) {
    const scfName = functions[name]!.name ?? `${doc.name}-${stage}-${app}-${name}`;
    if (scfName.length > SCF_NAME_MAX) problem(`function ${name}: its SCF name ${scfName} is ${scfName.length} characters, over ${SCF_NAME_MAX}; use a shorter APP or STAGE`);
  }
  return report;
}

// ---------------------------------------------------------------- deploy hand-off

/** `.env` at the repository root, as the Components CLI reads it (the shell wins over the file). */
export function deployEnvironment(base: NodeJS.ProcessEnv = process.env, dotenvFile = join(ROOT, '.env')): NodeJS.ProcessEnv {
  const fromFile = existsSync(dotenvFile) ? parseEnv(readFileSync(dotenvFile, 'utf8')) : {};
  const env: NodeJS.ProcessEnv = { ...fromFile, ...base };
  for (const [name, { default: fallback }] of Object.entries(DEPLOY_VARIABLES)) {
    if (fallback && !env[name]?.trim()) env[name] = fallback;
  }
  return env;
}

/** Problems that make a deploy pointless: the service would answer every request with a config error. */
export function deployReadiness(env: NodeJS.ProcessEnv): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) errors.push(...error.problems);
    else throw error;
  }
  if (!env.REDIS_URL?.trim()) errors.push('REDIS_URL is required on SCF (the TencentDB for Redis address, e.g. redis://:password@10.0.0.5:6379)');
  for (const name of ['VPC_ID', 'SUBNET_ID']) {
    if (!env[name]?.trim()) warnings.push(`${name} is not set: the functions will not join the Redis instance's VPC`);
  }
  if (!env.TENCENT_SECRET_ID?.trim() || !env.TENCENT_SECRET_KEY?.trim()) {
    warnings.push('TENCENT_SECRET_ID / TENCENT_SECRET_KEY are not set: the CLI will ask for a WeChat QR-code login');
  }
  return { errors, warnings };
}

/** Where `--exec` writes the file the Components CLI actually reads (.serverless/ is git-ignored). */
export const RENDER_DIR = join(ROOT, '.serverless', 'deploy');

/**
 * The file to hand to the Components CLI: the checked one minus the environment
 * entries whose variable is unset. The CLI turns an unset `${env:NAME}` into
 * undefined and the component then sends SCF the string "undefined" (it
 * stringifies every value), which the service would reject as, say, an
 * AUTH_MODE. Left out, the variable takes its default. Values stay
 * `${env:NAME}` references: no secret is written to disk.
 */
export function renderDeployFile(file: string, mode: DeployMode, env: NodeJS.ProcessEnv): string {
  const abs = resolve(ROOT, file);
  const doc = loadYaml(abs) as ServerlessFile;
  const isSet = (value: string) => {
    const ref = ENV_REF.exec(value);
    return !ref || Boolean(env[ref[1]!]?.trim());
  };
  // Functions share one environment list through a YAML alias; keep them sharing one.
  const filtered = new Map<unknown, ServerlessFile['inputs']['functions'][string]['environment']>();
  for (const fn of Object.values(doc.inputs.functions)) {
    if (!filtered.has(fn.environment)) filtered.set(fn.environment, fn.environment.filter((entry) => isSet(entry.value)));
    fn.environment = filtered.get(fn.environment)!;
  }
  doc.inputs.src.src = resolve(dirname(abs), doc.inputs.src.src);
  const dir = join(RENDER_DIR, mode);
  mkdirSync(dir, { recursive: true });
  const header = `# Generated by scripts/deploy-check.ts from ${relative(ROOT, abs)} for one deploy; edit that file instead.\n`;
  writeFileSync(join(dir, 'serverless.yml'), header + yaml.dump(doc, { lineWidth: -1 }));
  return relative(ROOT, dir);
}

function optionValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === `--${name}`) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

function componentsCli(): string {
  return join(dirname(require.resolve('@serverless/components/package.json', { paths: [ROOT] })), 'bin', 'bin');
}

function printReport(report: CheckReport): void {
  if (report.problems.length === 0) {
    process.stdout.write(`ok   ${report.file} (${report.mode} mode: ${report.functions.length} functions)\n`);
  } else {
    process.stdout.write(`FAIL ${report.file}${report.mode ? ` (${report.mode} mode)` : ''}\n${report.problems.map((p) => `     - ${p}`).join('\n')}\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const execAt = argv.indexOf('--exec');
  const own = execAt === -1 ? argv : argv.slice(0, execAt);
  const passed = execAt === -1 ? [] : argv.slice(execAt + 1);
  const command = passed[0];
  if (execAt !== -1 && !command) throw new Error('--exec needs a Serverless Components command (deploy, remove, info ...)');
  const target = optionValue([...own, ...passed], 'target');
  const skipDist = own.includes('--skip-dist') || (command !== undefined && command !== 'deploy');

  const env = command ? deployEnvironment() : process.env;
  const stage = optionValue(passed, 'stage');
  if (stage) env.STAGE = stage;
  // --exec acts on one file: the --target one, else the default (router) mode.
  const files = target ? [join(target, 'serverless.yml')] : command ? [DEPLOY_FILES[0]!.file] : DEPLOY_FILES.map((f) => f.file);
  const reports = files.map((file) => checkServerlessFile(file, { skipDist, env }));
  reports.forEach(printReport);
  if (reports.some((r) => r.problems.length > 0)) return 1;
  if (!command) return 0;

  if (command === 'deploy') {
    const { errors, warnings } = deployReadiness(env);
    for (const warning of warnings) process.stdout.write(`warn ${warning}\n`);
    if (errors.length > 0) {
      process.stdout.write(`FAIL the service would reject this configuration (set these in .env or the shell):\n${errors.map((e) => `     - ${e}`).join('\n')}\n`);
      return 1;
    }
  }
  const report = reports[0]!;
  const rendered = renderDeployFile(report.file, report.mode!, env);
  const forwarded = passed.filter((arg, i) => !arg.startsWith('--target') && passed[i - 1] !== '--target');
  process.stdout.write(`\n${command}: ${report.file} (${report.mode} mode) as ${rendered}/serverless.yml; app ${env.APP}, stage ${env.STAGE}, region ${env.REGION}\n\n`);
  const child = spawn(process.execPath, [componentsCli(), ...forwarded, `--target=${rendered}`], {
    stdio: 'inherit',
    env: { ...env, SERVERLESS_PLATFORM_VENDOR: 'tencent' },
  });
  return new Promise((done) => child.on('exit', (code) => done(code ?? 1)));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`deploy-check failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
