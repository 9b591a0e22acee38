/**
 * `npm run build`: one self-contained bundle per SCF function.
 *
 * Every `functions/<name>.ts` (the router and the sweeper included) becomes
 * `dist/<name>/index.js` (handler `index.main_handler`): the router and the
 * sweeper are what the deploy uploads (it builds them into .serverless/dist/),
 * the others run with `npm run invoke` and the console test events. A cold start then loads one
 * small file instead of resolving hundreds of node_modules files.
 *
 * Prints the bundle sizes, writes `dist/manifest.json` ({function: {bytes}}),
 * esbuild's metafile per bundle (`dist/metafiles/<function>.json`: every input
 * and the bytes it adds, what the bench reports per bundle) and
 * fails when a bundle is larger than 640 KB (the router and admin: 820 KB) or pulls in a devDependency (the
 * gateway's ioredis-mock, test helpers) that must never ship.
 */
import { build as esbuild, type BuildOptions, type Plugin } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { isBuiltin } from 'node:module';
import { errorMessage } from '../shared/errors';
import { BUNDLE_FILE, CACHE_FILE, warmUpEvent, writeCodeCache, writeLoader } from './code-cache';

export const ROOT = resolve(__dirname, '..');
export const FUNCTIONS_DIR = join(ROOT, 'functions');
export const DIST_DIR = join(ROOT, 'dist');

/**
 * The runtime in serverless.yml is Nodejs20.19: jose (AUTH_MODE=jwt) needs the
 * WebCrypto and fetch globals that Node 16 lacks. deploy-check keeps the two in step.
 */
export const NODE_TARGET = 'node20';
/**
 * Every function bundle carries every room script (store.ts loads them all),
 * and the webrtc_room ones carry jose and the PrivateMapKey code too. Budgets
 * catch a devDependency or a heavy SDK pulled in by mistake (hundreds of KB),
 * not a few scripts more. Measured after issue 25: the largest endpoint bundle
 * 626 KB (webrtc_create_room), the router 797 KB, admin 716 KB, axios (the
 * required HTTP client, loaded at the first Tencent API call) ~140 KB of each.
 */
export const MAX_BUNDLE_BYTES = 640 * 1024;
/**
 * The router carries every endpoint in one bundle, the admin function the
 * whole admin plane (every admin route, the dashboard page with its charts,
 * the metrics exposition, the event log, webhooks and dead letters): they get
 * their own budget, so the single-endpoint bundles keep theirs. The next step
 * for both is a dashboard page shipped as a file in the zip, not a bigger number.
 */
export const MAX_ROUTER_BYTES = 820 * 1024;
const BIG_BUNDLES = new Set(['router', 'admin']);
/** A function bundle's size limit. */
export const bundleBudget = (name: string) => (BIG_BUNDLES.has(name) ? MAX_ROUTER_BYTES : MAX_BUNDLE_BYTES);

/**
 * tls-sig-api-v2's package.json names `main` twice; Node takes the last (the file
 * that exists), esbuild the first (a missing file). Point both at what Node loads.
 */
export const ALIASES = { 'tls-sig-api-v2': require.resolve('tls-sig-api-v2', { paths: [ROOT] }) };

/**
 * Two tables the service never reads, dropped so a bundle stays a third smaller
 * (and a cold start parses that much less):
 *  - zod re-exports every locale as `z.locales`, reachable through the `z`
 *    namespace, so tree shaking keeps all of them (~260 KB). Validation messages
 *    come from the English locale, which zod imports on its own; `z.locales`
 *    keeps only `en`.
 *  - axios -> form-data -> mime-types -> mime-db (~130 KB) guesses the content
 *    type of files in multipart uploads; the IM and live clients only send JSON.
 * And one function: zod's `z.fromJSONSchema` (~12 KB), re-exported the same
 * way; the service turns schemas into JSON Schema (the OpenAPI document), never back.
 */
export const trimUnusedTables: Plugin = {
  name: 'trim-unused-tables',
  setup(build) {
    const zodLocale = (file: string) => require.resolve(`zod/v4/locales/${file}`, { paths: [ROOT] });
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'trimmed' } : undefined,
    );
    build.onLoad({ filter: /^zod-locales$/, namespace: 'trimmed' }, () => ({
      contents: `export { default as en } from ${JSON.stringify(zodLocale('en.js'))};`,
      resolveDir: ROOT,
    }));
    build.onResolve({ filter: /^\.\/from-json-schema\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-from-json-schema', namespace: 'trimmed' } : undefined,
    );
    build.onLoad({ filter: /^zod-from-json-schema$/, namespace: 'trimmed' }, () => ({
      contents: 'export function fromJSONSchema() { throw new Error("z.fromJSONSchema is not bundled (scripts/build.ts)"); }',
      loader: 'js',
    }));
    build.onResolve({ filter: /^mime-db$/ }, () => ({ path: 'mime-db', namespace: 'trimmed' }));
    build.onLoad({ filter: /^mime-db$/, namespace: 'trimmed' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/**
 * ioredis puts two methods per Redis command (~570) on its Commander prototype
 * one by one at load. V8 keeps a prototype in fast mode and copies its whole
 * descriptor array at every addition, so that loop is quadratic: 10-20 ms of
 * every cold start (measured with an unminified bundle, timings around the loop). One property
 * added and deleted first turns the prototype into a dictionary, where each
 * addition is a hash insert (the loop takes ~0.3 ms); V8 makes the prototype
 * fast again when it is first used as one, so method lookups cost the same.
 * Fails the build when ioredis changes the loop, so the patch is not silently lost.
 */
const COMMANDER_LOOP = 'commands.forEach(function (commandName) {';
export const ioredisCommanderDictionary: Plugin = {
  name: 'ioredis-commander-dictionary',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]ioredis[\\/]built[\\/]utils[\\/]Commander\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(COMMANDER_LOOP)) throw new Error(`${args.path}: the command loop changed; revisit ioredisCommanderDictionary (scripts/build.ts)`);
      const patched = source.replace(COMMANDER_LOOP, `Commander.prototype.__dictionary = 0;\ndelete Commander.prototype.__dictionary;\n${COMMANDER_LOOP}`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * axios probes Node's fetch at load (a top-level `getFetch();` warming its fetch
 * adapter's cache): reading the `fetch`, `Request` and `Response` globals makes
 * Node load undici, ~23 ms, though our requests go through the http adapter
 * (the first of axios's adapters Node supports, so the fetch one is never
 * picked). Without that call the probe runs only if the fetch adapter is ever
 * asked for. Its FormData check reads the `FormData` global at load too (undici
 * again): the check goes without that constructor, as its kindOf test after
 * it already recognises Node's FormData ('[object FormData]'); the service
 * never sends one anyway. axios was ~40 ms of the first call that reaches a Tencent API
 * (the router's check_config, get_login_info, the sweeper); undici was most of it.
 * Fails the build when axios changes either line, so a patch is not silently lost.
 */
const AXIOS_PATCHES: [string, string][] = [
  ['\ngetFetch();\n', '\n'],
  [
    "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;",
    'const FormDataCtor = undefined;',
  ],
];
export const axiosLazyFetchProbe: Plugin = {
  name: 'axios-lazy-fetch-probe',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]axios[\\/]dist[\\/]node[\\/]axios\.cjs$/ }, (args) => {
      let source = readFileSync(args.path, 'utf8');
      for (const [from, to] of AXIOS_PATCHES) {
        if (!source.includes(from)) throw new Error(`${args.path}: no \`${from.trim()}\`; revisit axiosLazyFetchProbe (scripts/build.ts)`);
        source = source.replace(from, to);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

/**
 * Modules required at load but used only for what the service rarely or never
 * asks for, each by the module named beside it:
 *  - axios: http2 (its HTTP/2 transport; ~4 ms more than http and https),
 *    form-data (multipart bodies; with combined-stream, get-intrinsic and the
 *    rest of its tree ~2 ms) and https-proxy-agent (requests through an HTTPS
 *    proxy; with agent-base);
 *  - ioredis's connectors: tls (rediss:// only; ~3 ms of every cold start on a
 *    plain-TCP Redis such as TencentDB's in a VPC);
 *  - redis-errors: assert (checks inside a parser error's constructor; ~1 ms).
 * Each is bundled as before but runs when first touched (a property, `new`, a
 * call or `instanceof`), so a function that never does never pays for it.
 */
const LOADED_ON_FIRST_USE: readonly { name: string; importer: RegExp }[] = [
  { name: 'http2', importer: /[\\/]node_modules[\\/]axios[\\/]/ },
  { name: 'form-data', importer: /[\\/]node_modules[\\/]axios[\\/]/ },
  { name: 'https-proxy-agent', importer: /[\\/]node_modules[\\/]axios[\\/]/ },
  { name: 'tls', importer: /[\\/]node_modules[\\/]ioredis[\\/]built[\\/]connectors[\\/]/ },
  { name: 'assert', importer: /[\\/]node_modules[\\/]redis-errors[\\/]/ },
];
export const loadedOnFirstUse: Plugin = {
  name: 'loaded-on-first-use',
  setup(build) {
    const filter = new RegExp(`^(${LOADED_ON_FIRST_USE.map(({ name }) => name.replace(/[-/]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) =>
      LOADED_ON_FIRST_USE.some(({ name, importer }) => name === args.path && importer.test(args.importer))
        ? { path: `on-first-use/${args.path}`, namespace: 'trimmed', pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    build.onLoad({ filter: /^on-first-use\//, namespace: 'trimmed' }, (args) => ({
      contents: onFirstUse(args.path.slice('on-first-use/'.length)),
      loader: 'js',
      resolveDir: (args.pluginData as { resolveDir: string }).resolveDir,
    }));
  },
};

/** A stand-in for module `name` that requires it at its first use and forwards everything to it. */
const onFirstUse = (name: string) => `let real;
const load = () => (real ??= require(${JSON.stringify(isBuiltin(name) ? `node:${name}` : name)}));
module.exports = new Proxy(function () {}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  construct: (_, args) => Reflect.construct(load(), args),
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  getPrototypeOf: () => Reflect.getPrototypeOf(load()),
});`;

export interface BundleInfo {
  /** bundle.js: what the budget limits. */
  bytes: number;
  /** bundle.cache, V8's code cache (scripts/code-cache.ts), when one was made. */
  cacheBytes?: number;
}
export type Manifest = Record<string, BundleInfo>;

export interface BuildResult {
  outdir: string;
  manifest: Manifest;
  /** Oversized bundles, devDependencies or non-production sources pulled in. */
  problems: string[];
}

/** Function names: one per `functions/*.ts` file. */
export function functionNames(dir = FUNCTIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

export const bundlePath = (name: string, outdir = DIST_DIR) => join(outdir, name, 'index.js');
/** The function's code: bundle.js beside the code-cache loader, or index.js itself for a build without a code cache. */
export const codePath = (name: string, outdir = DIST_DIR) => {
  const bundle = join(outdir, name, BUNDLE_FILE);
  return existsSync(bundle) ? bundle : bundlePath(name, outdir);
};

function devDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  return Object.keys(pkg.devDependencies ?? {});
}

/** Sources a production bundle may contain: the functions, shared/ and runtime dependencies. */
function foreignInputs(inputs: string[]): string[] {
  const dev = devDependencies();
  const problems = new Set<string>();
  for (const input of inputs) {
    const path = input.split(sep).join('/');
    const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1];
    if (pkg && dev.includes(pkg)) problems.add(`devDependency ${pkg} (${path})`);
    if (!pkg && !/^(functions|shared)\/|^trimmed:/.test(path)) problems.add(`non-production source ${path}`);
  }
  return [...problems];
}

/**
 * `codeCache` (default on): give every bundle its V8 code cache and the loader
 * that uses it (scripts/code-cache.ts): a warm-up run per function, ~0.3 s
 * each, two at a time. Off, index.js is esbuild's bundle itself.
 */
/** How every bundle is built: the functions' and the self-hosted server's (scripts/build-server.ts). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: NODE_TARGET,
  format: 'cjs',
  minify: true,
  // ioredis tells reply errors from connection errors by class name (ReplyError); minified names would break that.
  keepNames: true,
  // Stack traces map back to the TypeScript when run with NODE_OPTIONS=--enable-source-maps.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  logLevel: 'warning',
  alias: ALIASES,
  plugins: [trimUnusedTables, ioredisCommanderDictionary, axiosLazyFetchProbe, loadedOnFirstUse],
} satisfies BuildOptions;

export async function buildFunctions(options: { outdir?: string; functions?: string[]; codeCache?: boolean } = {}): Promise<BuildResult> {
  const codeCache = options.codeCache ?? true;
  const outdir = options.outdir ?? DIST_DIR;
  const names = options.functions ?? functionNames();
  const problems: string[] = [];
  for (const name of names) {
    const source = readFileSync(join(FUNCTIONS_DIR, `${name}.ts`), 'utf8');
    if (!/export\s+(const|async\s+function|function)\s+main_handler\b/.test(source)) problems.push(`functions/${name}.ts does not export main_handler`);
  }

  // Stale bundles of deleted functions would otherwise be deployed.
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(names.map((name) => [`${name}/${codeCache ? BUNDLE_FILE.replace(/\.js$/, '') : 'index'}`, join(FUNCTIONS_DIR, `${name}.ts`)])),
    outdir,
    ...BUNDLE_OPTIONS,
    metafile: true,
  });
  if (codeCache) await writeCodeCaches(outdir, names);

  const manifest: Manifest = {};
  // Beside the function folders, not in them: a folder is what a deploy uploads.
  mkdirSync(join(outdir, 'metafiles'), { recursive: true });
  for (const [output, meta] of Object.entries(result.metafile.outputs)) {
    if (!meta.entryPoint) continue;
    const name = relative(outdir, resolve(ROOT, output)).split(sep)[0]!;
    const inputs = Object.fromEntries(Object.keys(meta.inputs).map((input) => [input, result.metafile.inputs[input]]));
    writeFileSync(join(outdir, 'metafiles', `${name}.json`), JSON.stringify({ inputs, outputs: { [output]: meta } }) + '\n');
    const bytes = statSync(resolve(ROOT, output)).size;
    const cache = join(outdir, name, CACHE_FILE);
    manifest[name] = existsSync(cache) ? { bytes, cacheBytes: statSync(cache).size } : { bytes };
    if (bytes > bundleBudget(name)) problems.push(`${name}: ${kb(bytes)} KB is over the ${kb(bundleBudget(name))} KB limit`);
    for (const foreign of foreignInputs(Object.keys(meta.inputs))) problems.push(`${name}: bundles ${foreign}`);
  }
  const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify(sorted, null, 2) + '\n');
  for (const name of names) if (!existsSync(bundlePath(name, outdir))) problems.push(`${name}: no bundle was written`);
  return { outdir, manifest: sorted, problems };
}

/** The loader and the code cache of every function, two warm-ups at a time (the build machine may have two cores). */
async function writeCodeCaches(outdir: string, names: string[]): Promise<void> {
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const dir = join(outdir, name);
      writeLoader(dir);
      await writeCodeCache(dir, name, warmUpEvent(join(ROOT, 'events'), name));
    }
  };
  await Promise.all([worker(), worker()]);
}

export const kb = (bytes: number) => (bytes / 1024).toFixed(1);

export function sizeTable(manifest: Manifest): string {
  const names = Object.keys(manifest);
  const width = Math.max('function'.length, ...names.map((n) => n.length));
  const lines = [`${'function'.padEnd(width)}  ${'KB'.padStart(7)}`, `${'-'.repeat(width)}  ${'-'.repeat(7)}`];
  for (const name of names) lines.push(`${name.padEnd(width)}  ${kb(manifest[name]!.bytes).padStart(7)}`);
  const total = names.reduce((sum, name) => sum + manifest[name]!.bytes, 0);
  lines.push(`${'-'.repeat(width)}  ${'-'.repeat(7)}`, `${`total (${names.length})`.padEnd(width)}  ${kb(total).padStart(7)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const { outdir, manifest, problems } = await buildFunctions();
  process.stdout.write(`${sizeTable(manifest)}\n\n`);
  if (problems.length > 0) {
    process.stderr.write(`build failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${Object.keys(manifest).length} bundles in ${relative(ROOT, outdir)}/ (${Math.round(performance.now() - started)} ms)\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`build failed: ${errorMessage(error)}\n`);
    process.exit(1);
  });
}
