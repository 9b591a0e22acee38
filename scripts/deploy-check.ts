/**
 * `npm run deploy:check`: offline validation of the deployment files, so a
 * mistake fails here instead of half-way through a cloud deploy.
 *
 *   tsx scripts/deploy-check.ts [--target=DIR] [--skip-dist] [--fix]
 *
 * --fix first rewrites each file's `environments` list to the settings of
 * shared/config.ts (after a setting is added there).
 *
 * Checks serverless.yml (router mode) and deploy/apigw/serverless.yml
 * (per-function mode), or only the one in --target:
 *  - the fields used exist in the multi-scf component's schema (a typo such as
 *    `memory:` is an error, not a silently ignored key);
 *  - applying the component's own input transformation (formatFaasInputs:
 *    `environments` -> `environment.variables`), no function comes out without
 *    a variable the service requires; one without an optional setting is a
 *    warning (`npm run deploy` passes it anyway, `sls deploy` would not);
 *  - the functions are exactly the files of functions/ (per-function mode) or
 *    router + sweeper (router mode), each with `index.main_handler` and its
 *    bundle present in dist/ (unless --skip-dist);
 *  - every variable entry is `${env:NAME}` of a config variable, and no
 *    `${env:...}` names anything else than a config or deploy variable;
 *  - the sweeper's timer has a 7-field cron and `enable: true`; the router has
 *    one public Function URL (`http` trigger, extranet on, auth NONE);
 *  - the API Gateway routes are exactly the endpoints (method, path, function,
 *    CORS, the `roomType` path parameter);
 *  - the runtime matches the bundles' build target, and the generated function
 *    names fit SCF's 60 characters. A runtime outside the component's allow-list
 *    is a warning: `sls deploy` refuses it, `npm run deploy` does not.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { CONFIG_VARIABLES } from '../shared/config';
import { ENDPOINTS } from '../functions/router';
import { functionNameOf } from '../shared/http/endpoint';
import { ADMIN_ROUTES } from '../shared/admin/routes';
import { NODE_TARGET, ROOT, functionNames } from './build';
import {
  DEPLOY_VARIABLES,
  ENV_REF,
  LOCAL_ONLY_VARIABLES,
  RESERVED_PREFIXES,
  componentFunctionInputs,
  loadYaml,
  requiredVariables,
  serviceVariables,
} from './deploy-plan';
import { errorMessage } from '../shared/errors';

export { loadYaml };

export type DeployMode = 'router' | 'per-function';

export const DEPLOY_FILES: readonly { mode: DeployMode; file: string }[] = [
  { mode: 'router', file: 'serverless.yml' },
  { mode: 'per-function', file: 'deploy/apigw/serverless.yml' },
];

/** Router mode deploys these two; per-function mode deploys every file of functions/. */
export const ROUTER_MODE_FUNCTIONS = ['router', 'sweeper'] as const;

/**
 * The Node runtimes the published multi-scf component (0.3.14,
 * serverless.component.yml) accepts; the scf component (0.9.x) has the same
 * list. SCF itself offers newer ones, which only `npm run deploy` can use.
 */
export const COMPONENT_NODE_RUNTIMES = ['Nodejs6.10', 'Nodejs8.9', 'Nodejs10.15', 'Nodejs12.16', 'Nodejs14.18', 'Nodejs16.13'] as const;

const SCF_NAME_MAX = 60;

// ---------------------------------------------------------------- schema

/** The multi-scf component's inputs, as far as this project uses them (docs/configure.md of the component). */
const variableList = z.array(z.strictObject({ key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), value: z.string() }));
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
  // The component reads `environments`; `environment` is accepted and then replaced
  // (formatFaasInputs), so the variable check below is what catches it.
  environments: variableList.optional(),
  environment: z.unknown().optional(),
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

const httpTrigger = z.strictObject({
  type: z.literal('http'),
  function: z.string(),
  parameters: z.strictObject({
    name: z.string().min(1).optional(),
    qualifier: z.string().optional(),
    authType: z.enum(['NONE', 'CAM']).optional(),
    netConfig: z.strictObject({ enableIntranet: z.boolean().optional(), enableExtranet: z.boolean().optional() }).optional(),
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
    description: z.string().optional(),
    namespace: z.string().optional(),
    type: z.literal('event').optional(),
    functions: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), functionSchema),
    triggers: z.array(z.discriminatedUnion('type', [timerTrigger, httpTrigger, apigwTrigger])).optional(),
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
  /** What does not stop `npm run deploy` but would hurt `sls deploy`. */
  warnings: string[];
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

/** The function of the admin plane, and its routes as API Gateway declares them: the dashboard page and every admin API route. */
const ADMIN_FUNCTION = 'admin';
const adminApis = [{ path: '/admin', method: 'GET' }, ...ADMIN_ROUTES.map((r) => ({ path: r.path, method: r.method as string }))];

function routeOf(endpoint: (typeof ENDPOINTS)[number]): { path: string; method: string } {
  return { path: endpoint.scope === 'room' ? `/weapp/{roomType}/${endpoint.action}` : `/weapp/${endpoint.scope}/${endpoint.action}`, method: endpoint.method };
}

export function checkServerlessFile(file: string, options: CheckOptions = {}): CheckReport {
  const abs = resolve(ROOT, file);
  const shown = relative(ROOT, abs);
  const report: CheckReport = { file: shown, mode: undefined, functions: [], problems: [], warnings: [] };
  const problem = (message: string) => report.problems.push(message);
  const warning = (message: string) => report.warnings.push(message);
  if (!existsSync(abs)) {
    problem(`${shown} does not exist`);
    return report;
  }
  let raw: unknown;
  try {
    raw = loadYaml(abs);
  } catch (error) {
    problem(`not valid YAML: ${errorMessage(error)}`);
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

  // Environment, as the component builds it.
  const config = [...CONFIG_VARIABLES];
  const required = requiredVariables();
  const shipped = serviceVariables();
  for (const [name, fn] of Object.entries(functions)) {
    const built = componentFunctionInputs({ runtime: doc.inputs.runtime, namespace: doc.inputs.namespace }, fn as Record<string, unknown>);
    const keys = Object.keys(built.environment?.variables ?? {});
    const lost = required.filter((key) => !keys.includes(key));
    if (lost.length > 0) {
      const why = fn.environments ? '' : fn.environment !== undefined
        ? ' (it declares `environment:`, but multi-scf builds the variables from `environments:` and replaces `environment` with them)'
        : ' (it has no `environments:` list)';
      problem(`function ${name} would deploy without ${lost.join(', ')}${why}`);
    }
    const optional = shipped.filter((key) => !required.includes(key) && !keys.includes(key));
    if (optional.length > 0 && lost.length === 0) warning(`function ${name}: \`sls deploy\` would not pass ${optional.join(', ')} (npm run deploy passes every setting that is set)`);
    const entries = fn.environments ?? [];
    const listed = entries.map((entry) => entry.key);
    const duplicated = listed.filter((key, i) => listed.indexOf(key) !== i);
    if (duplicated.length > 0) problem(`function ${name}: environments repeats ${[...new Set(duplicated)].join(', ')}`);
    for (const { key, value } of entries) {
      if (RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) problem(`function ${name}: ${key} cannot be set: SCF reserves the ${RESERVED_PREFIXES.join(', ')} prefixes`);
      else if (!config.includes(key)) problem(`function ${name}: environment variable ${key} is not a setting of shared/config.ts`);
      else if (key in LOCAL_ONLY_VARIABLES) problem(`function ${name}: ${key} ${LOCAL_ONLY_VARIABLES[key]}; leave it out`);
      if (value !== `\${env:${key}}`) problem(`function ${name}: ${key} must be '\${env:${key}}' (values come from the deploy environment, never from this file), not ${JSON.stringify(value)}`);
    }
    for (const [field, value] of Object.entries(fn.vpc)) if (!ENV_REF.test(value)) problem(`function ${name}: vpc.${field} must be \${env:...}, not ${JSON.stringify(value)}`);
    if (fn.role !== undefined && !ENV_REF.test(fn.role)) problem(`function ${name}: role must be \${env:EXECUTION_ROLE}, not ${JSON.stringify(fn.role)}`);
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
  if (!(COMPONENT_NODE_RUNTIMES as readonly string[]).includes(doc.inputs.runtime)) {
    warning(`inputs.runtime ${doc.inputs.runtime} is outside the multi-scf component's allow-list (Node up to ${COMPONENT_NODE_RUNTIMES.at(-1)}): \`sls deploy\` refuses this file; deploy it with \`npm run deploy\``);
  }

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

  // Function URL.
  const urls = triggers.filter((t): t is z.infer<typeof httpTrigger> => t.type === 'http');
  for (const url of urls) if (!names.includes(url.function)) problem(`http trigger: function ${url.function} is not declared`);
  if (mode === 'router') {
    if (!names.includes('router')) problem('router mode needs the router function');
    const routerUrls = urls.filter((t) => t.function === 'router');
    if (routerUrls.length !== 1) problem(`the router needs exactly one http trigger (its Function URL), found ${routerUrls.length}`);
    for (const url of routerUrls) {
      if (url.parameters.netConfig?.enableExtranet !== true) problem('http trigger of router: netConfig.enableExtranet must be true (the toolkit defaults it to false: clients could not reach the URL)');
      if ((url.parameters.authType ?? 'NONE') !== 'NONE') problem('http trigger of router: authType must be NONE (clients send no CAM signature; the service checks its own tokens)');
    }
  }

  // API Gateway routes.
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
      const endpoint = ENDPOINTS.find((e) => functionNameOf(e) === api.function);
      if (api.function === ADMIN_FUNCTION) {
        if (!adminApis.some((a) => a.path === api.path && a.method === api.method)) problem(`route ${key}: the admin function serves no such route (shared/admin/routes.ts)`);
      } else if (endpoint) {
        const route = routeOf(endpoint);
        if (route.path !== api.path || route.method !== api.method) problem(`route ${key}: ${functionNameOf(endpoint)} is served at ${route.method} ${route.path}`);
      } else if (names.includes(api.function)) problem(`route ${key}: function ${api.function} is not an endpoint`);
    }
    for (const route of adminApis) {
      if (!apis.some((api) => api.function === ADMIN_FUNCTION && api.path === route.path && api.method === route.method)) problem(`admin route ${route.method} ${route.path} has no API Gateway route`);
    }
    for (const endpoint of ENDPOINTS) {
      if (!apis.some((api) => api.function === functionNameOf(endpoint))) problem(`endpoint ${functionNameOf(endpoint)} has no API Gateway route (${routeOf(endpoint).method} ${routeOf(endpoint).path})`);
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

// ---------------------------------------------------------------- --fix

/**
 * Rewrites the `environments: &environments` list of a deploy file to exactly
 * the service's variables (serviceVariables(), from shared/config.ts), keeping
 * its indentation, so a new setting reaches the component's file with one
 * command. Answers whether the file changed.
 */
export function syncEnvironments(file: string): boolean {
  const abs = resolve(ROOT, file);
  const lines = readFileSync(abs, 'utf8').split('\n');
  const at = lines.findIndex((line) => /^\s+environments: &environments\s*$/.test(line));
  if (at === -1) throw new Error(`${file}: no \`environments: &environments\` list to rewrite`);
  let end = at + 1;
  while (end < lines.length && /^\s+- \{ key: /.test(lines[end]!)) end += 1;
  const indent = /^(\s*)/.exec(lines[at + 1] ?? '')?.[1] || `${/^(\s*)/.exec(lines[at]!)![1]}  `;
  const names = serviceVariables();
  const width = Math.max(...names.map((name) => name.length)) + 1;
  const entries = names.map((name) => `${indent}- { key: ${`${name},`.padEnd(width)} value: '\${env:${name}}' }`);
  const next = [...lines.slice(0, at + 1), ...entries, ...lines.slice(end)].join('\n');
  if (next === lines.join('\n')) return false;
  writeFileSync(abs, next);
  return true;
}

// ---------------------------------------------------------------- command line

/** `--name value` or `--name=value`. */
export function optionValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === `--${name}`) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

export function printReport(report: CheckReport, out: NodeJS.WritableStream = process.stdout): void {
  if (report.problems.length === 0) {
    out.write(`ok   ${report.file} (${report.mode} mode: ${report.functions.length} functions)\n`);
  } else {
    out.write(`FAIL ${report.file}${report.mode ? ` (${report.mode} mode)` : ''}\n${report.problems.map((p) => `     - ${p}`).join('\n')}\n`);
  }
  for (const warning of report.warnings) out.write(`warn ${warning}\n`);
}

function main(argv: string[]): number {
  const target = optionValue(argv, 'target');
  const files = target ? [join(target, 'serverless.yml')] : DEPLOY_FILES.map((f) => f.file);
  if (argv.includes('--fix')) for (const file of files) if (syncEnvironments(file)) process.stdout.write(`fixed ${file}: environments list = the settings of shared/config.ts\n`);
  const reports = files.map((file) => checkServerlessFile(file, { skipDist: argv.includes('--skip-dist') }));
  reports.forEach((report) => printReport(report));
  return reports.some((r) => r.problems.length > 0) ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
