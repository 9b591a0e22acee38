/**
 * `npm run deploy:check`: offline validation of serverless.yml, so a mistake
 * fails here instead of half-way through a cloud deploy. `npm run deploy`,
 * `sls package` and `sls deploy` run it too.
 *
 *   tsx scripts/deploy-check.ts [--skip-dist]
 *
 * The file is a Serverless Framework v3 service whose provider, `tencent`, is
 * registered by the local plugin deploy/serverless-plugin. The schema below is
 * the one owner of its shape: the plugin hands it to the Framework
 * (configSchemaHandler.defineProvider, as JSON Schema), so `sls` and this
 * check refuse the same misspelt key. On top of the schema:
 *  - the functions are exactly router and sweeper, each with
 *    `index.main_handler` and its bundle present in dist/ (unless --skip-dist);
 *  - every variable is `${env:NAME, 'fallback'}` of a deploy variable, with
 *    the fallback the deploy documents (DEPLOY_VARIABLES);
 *  - the sweeper has one timer with a 7-field cron and `enable: true`; the
 *    router has one public Function URL (`http`, extranet on, auth NONE);
 *  - the runtime matches the bundles' build target, and the generated function
 *    names fit SCF's 60 characters.
 */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { z } from 'zod';
import { NODE_TARGET, ROOT, DIST_DIR, functionNames } from './build';
import { DEPLOY_VARIABLES, ENV_REF, loadYaml } from './deploy-plan';
import { errorMessage } from '../shared/errors';

export { loadYaml };

/** The deployment file, at the repository root where `sls` looks for it. */
export const DEPLOY_FILE = 'serverless.yml';

/** The functions the deploy creates: every route behind the router's Function URL, and the sweeper. */
export const DEPLOYED_FUNCTIONS = ['router', 'sweeper'] as const;

const SCF_NAME_MAX = 60;

// ---------------------------------------------------------------- schema

/** SCF's memory sizes: 64, or 128 to 3072 in steps of 128 (doc 583/11637). */
const memorySize = z
  .number()
  .int()
  .refine((mb) => mb === 64 || (mb >= 128 && mb <= 3072 && mb % 128 === 0), 'must be 64 or a multiple of 128 up to 3072 (MB)');
const vpc = z.strictObject({ vpcId: z.string(), subnetId: z.string() });

const timerEvent = z.strictObject({
  name: z.string().min(1),
  cronExpression: z.string(),
  enable: z.boolean(),
  qualifier: z.string().optional(),
});

const httpEvent = z.strictObject({
  name: z.string().min(1).optional(),
  qualifier: z.string().optional(),
  authType: z.enum(['NONE', 'CAM']).optional(),
  netConfig: z.strictObject({ enableIntranet: z.boolean().optional(), enableExtranet: z.boolean().optional() }).optional(),
});

/** The `tencent` provider's own keys (name is the Framework's). */
const providerSchema = z.strictObject({
  name: z.literal('tencent'),
  app: z.string().min(1),
  stage: z.string().min(1),
  region: z.string().min(1),
  runtime: z.string().regex(/^Nodejs\d+\.\d+$/, 'must be a Node.js runtime id such as Nodejs20.19'),
  namespace: z.string().optional(),
  vpc: vpc.optional(),
  role: z.string().optional(),
});

/** A function's keys besides the Framework's own (`name`, `events`). */
const functionProperties = {
  handler: z.string().min(1),
  description: z.string().optional(),
  memorySize,
  timeout: z.number().int().min(1).max(900),
  vpc: vpc.optional(),
  role: z.string().optional(),
};

const functionSchema = z.strictObject({
  ...functionProperties,
  events: z.array(z.union([z.strictObject({ timer: timerEvent }), z.strictObject({ http: httpEvent })])).optional(),
});

const serverlessSchema = z.strictObject({
  service: z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'must be letters, digits and -'),
  frameworkVersion: z.string().optional(),
  configValidationMode: z.enum(['error', 'warn', 'off']).optional(),
  plugins: z.array(z.string()),
  provider: providerSchema,
  functions: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), functionSchema),
});

export type ServerlessFile = z.infer<typeof serverlessSchema>;

/** A zod schema as the Framework's JSON Schema validator takes it (draft 7, no $schema key). */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _draft, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/**
 * The provider's schema for the Serverless Framework
 * (configSchemaHandler.defineProvider): the same zod schemas as this check.
 */
export function frameworkSchema(): { provider: Record<string, unknown>; function: Record<string, unknown>; functionEvents: Record<string, Record<string, unknown>> } {
  const provider = jsonSchema(providerSchema.omit({ name: true }));
  const fn = jsonSchema(z.object(functionProperties));
  return {
    provider: { properties: provider.properties, required: provider.required },
    function: { properties: fn.properties, required: fn.required },
    functionEvents: { timer: jsonSchema(timerEvent), http: jsonSchema(httpEvent) },
  };
}

// ---------------------------------------------------------------- checks

export interface CheckOptions {
  /** Skip "the bundle exists in dist/" (before a build). */
  skipDist?: boolean;
  /** For the function-name length: APP and STAGE as the deploy will see them. */
  env?: NodeJS.ProcessEnv;
  /** The Node that builds the bundles (their code cache): `process.version` unless told. */
  nodeVersion?: string;
}

export interface CheckReport {
  file: string;
  functions: string[];
  problems: string[];
  warnings: string[];
}

/** Every `${...}` in the document, with where it is. */
function variableReferences(value: unknown, at: string, found: { at: string; text: string }[] = []): { at: string; text: string }[] {
  if (typeof value === 'string') for (const match of value.matchAll(/\$\{[^}]*\}/g)) found.push({ at, text: match[0] });
  else if (Array.isArray(value)) value.forEach((item, i) => variableReferences(item, `${at}[${i}]`, found));
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) variableReferences(item, at ? `${at}.${key}` : key, found);
  return found;
}

/** What a `${env:NAME, 'fallback'}` value resolves to at deploy time. */
function resolved(value: string, env: NodeJS.ProcessEnv): string {
  const ref = ENV_REF.exec(value);
  return ref ? env[ref[1]!]?.trim() || ref[2] || ref[3] || '' : value;
}

export function checkServerlessFile(file: string = DEPLOY_FILE, options: CheckOptions = {}): CheckReport {
  const abs = resolve(ROOT, file);
  const shown = relative(ROOT, abs);
  const report: CheckReport = { file: shown, functions: [], problems: [], warnings: [] };
  const problem = (message: string) => report.problems.push(message);
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
  const names = Object.keys(doc.functions);
  report.functions = names;

  // Variables: only ${env:NAME, 'fallback'} of a deploy variable, with its documented fallback.
  for (const { at, text } of variableReferences(raw, '')) {
    const ref = ENV_REF.exec(text);
    if (!ref) {
      problem(`${at}: ${text} is not \${env:NAME, 'fallback'} (the one variable form both \`sls\` and \`npm run deploy\` resolve)`);
      continue;
    }
    const [, name, single, double, isNull] = ref;
    const variable = DEPLOY_VARIABLES[name!];
    if (!variable) problem(`${at}: \${env:${name}} is not a deploy variable (${Object.keys(DEPLOY_VARIABLES).join(', ')}); the service's settings reach the functions without being listed here`);
    else if (single === undefined && double === undefined && isNull === undefined) problem(`${at}: \${env:${name}} needs a fallback (the Framework refuses an unset variable without one): \${env:${name}, '${variable.default ?? ''}'}`);
    else if ((single ?? double ?? '') !== (variable.default ?? '')) problem(`${at}: the fallback of ${name} must be '${variable.default ?? ''}' (its documented default), not '${single ?? double ?? ''}'`);
  }

  // Functions <-> files, handlers and bundles.
  const files = functionNames();
  for (const name of DEPLOYED_FUNCTIONS) if (!names.includes(name)) problem(`function ${name} is missing (the deploy needs ${DEPLOYED_FUNCTIONS.join(' and ')})`);
  for (const name of names) {
    if (!(DEPLOYED_FUNCTIONS as readonly string[]).includes(name)) problem(`function ${name} is not one the deploy knows (${DEPLOYED_FUNCTIONS.join(', ')}: every route is served by the router)`);
    else if (!files.includes(name)) problem(`function ${name}: functions/${name}.ts does not exist`);
  }
  for (const [name, fn] of Object.entries(doc.functions)) {
    if (fn.handler !== 'index.main_handler') problem(`function ${name}: handler must be index.main_handler (every bundle exports main_handler from index.js), not ${fn.handler}`);
    const bundle = resolve(DIST_DIR, name, 'index.js');
    if (!options.skipDist && !existsSync(bundle)) problem(`function ${name}: ${relative(ROOT, bundle)} is missing: run \`npm run build\``);
  }

  // Runtime vs build target.
  const runtimeMajor = /^Nodejs(\d+)\./.exec(doc.provider.runtime)?.[1];
  const targetMajor = /^node(\d+)/.exec(NODE_TARGET)?.[1];
  if (runtimeMajor !== targetMajor) problem(`provider.runtime ${doc.provider.runtime} does not match the bundles' target ${NODE_TARGET} (scripts/build.ts)`);
  const codeCache = codeCacheWarning(doc.provider.runtime, options.nodeVersion ?? process.version);
  if (codeCache) report.warnings.push(codeCache);

  // Timer.
  const eventsOf = (name: string, type: 'timer' | 'http') => (doc.functions[name]?.events ?? []).flatMap((event) => (type in event ? [(event as Record<string, unknown>)[type]] : []));
  if (names.includes('sweeper') && eventsOf('sweeper', 'timer').length !== 1) problem(`the sweeper needs exactly one timer event, found ${eventsOf('sweeper', 'timer').length}`);
  for (const name of names) {
    for (const timer of eventsOf(name, 'timer') as z.infer<typeof timerEvent>[]) {
      const where = `function ${name}: timer ${timer.name}`;
      const fields = timer.cronExpression.trim().split(/\s+/);
      if (fields.length !== 7) problem(`${where}: cronExpression "${timer.cronExpression}" has ${fields.length} fields; SCF timers take 7 (seconds first)`);
      if (timer.enable !== true) problem(`${where}: enable must be true (the timer is created disabled otherwise)`);
    }
  }

  // Function URL.
  const urls = eventsOf('router', 'http') as z.infer<typeof httpEvent>[];
  if (names.includes('router') && urls.length !== 1) problem(`the router needs exactly one http event (its Function URL), found ${urls.length}`);
  for (const url of urls) {
    if (url.netConfig?.enableExtranet !== true) problem('http event of router: netConfig.enableExtranet must be true (the toolkit defaults it to false: clients could not reach the URL)');
    if ((url.authType ?? 'NONE') !== 'NONE') problem('http event of router: authType must be NONE (clients send no CAM signature; the service checks its own tokens)');
  }
  if (names.includes('sweeper') && eventsOf('sweeper', 'http').length > 0) problem('the sweeper must not have a Function URL');

  // Generated function names: `${service}-${stage}-${app}-${key}`, at most 60 characters.
  const env = options.env ?? process.env;
  const app = resolved(doc.provider.app, env);
  const stage = resolved(doc.provider.stage, env);
  for (const name of names) {
    const scfName = `${doc.service}-${stage}-${app}-${name}`;
    if (scfName.length > SCF_NAME_MAX) problem(`function ${name}: its SCF name ${scfName} is ${scfName.length} characters, over ${SCF_NAME_MAX}; use a shorter APP or STAGE`);
  }
  return report;
}

/**
 * The bundles' V8 code cache (scripts/code-cache.ts) is used only by the V8
 * build that made it: the loader compares the exact `process.versions.v8`.
 * SCF names its runtime by Node major.minor (Nodejs20.19) and publishes neither
 * the patch release nor its V8 string, so what can be checked here is that the
 * deploying Node has the runtime's major.minor; the first cold start's log
 * line `code_cache_skipped` / `code_cache_rejected` (docs/deploy.md "Code cache") is the proof.
 */
export function codeCacheWarning(runtime: string, nodeVersion: string): string | undefined {
  const wanted = /^Nodejs(\d+\.\d+)$/.exec(runtime)?.[1];
  const have = /^v(\d+\.\d+)\./.exec(nodeVersion)?.[1];
  if (!wanted || wanted === have) return undefined;
  return `the bundles' V8 code cache is made by this Node (${nodeVersion}) and SCF's ${runtime} runs Node ${wanted}.x: it will most likely not be used (each cold start compiles, ~25-35 ms more; still correct). Build and deploy with Node ${wanted}.x to use it (docs/deploy.md "Code cache").`;
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
    out.write(`ok   ${report.file} (${report.functions.length} functions: ${report.functions.join(', ')})\n`);
  } else {
    out.write(`FAIL ${report.file}\n${report.problems.map((p) => `     - ${p}`).join('\n')}\n`);
  }
  for (const warning of report.warnings) out.write(`warn ${warning}\n`);
}

function main(argv: string[]): number {
  const report = checkServerlessFile(DEPLOY_FILE, { skipDist: argv.includes('--skip-dist') });
  printReport(report);
  return report.problems.length > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
