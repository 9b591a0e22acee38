/**
 * Bundle sizes (dist/manifest.json, written by `npm run build`), what each
 * bundle is made of (dist/metafiles/<name>.json, esbuild's metafile: copied to
 * bench/metafiles/ and summed per package into the results) and cold starts
 * (scripts/coldstart.ts --json, when both exist): wall ms, CPU ms and, when
 * valgrind is installed, the instructions require() of the router and the
 * heartbeat bundles executes (a figure the machine's load does not move).
 * The bundles load through their V8 code cache (scripts/code-cache.ts; its
 * size per bundle comes from the manifest), as SCF runs them when the Node
 * that built them matches.
 * Nothing is built here: the bench reports what is there and never waits on a build.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../../shared/errors';

const ROOT = path.join(__dirname, '..', '..');
const MANIFEST = path.join(ROOT, 'dist', 'manifest.json');
const COLDSTART = path.join(ROOT, 'scripts', 'coldstart.ts');
const METAFILES = path.join(ROOT, 'dist', 'metafiles');
const BENCH_METAFILES = path.join(ROOT, 'bench', 'metafiles');
/** The bundles whose require() instructions are counted (callgrind: ~25 s each on a quiet machine). */
const COUNTED = ['router', 'pusher_heartbeat', 'admin'];

export interface BundleRow {
  name: string;
  bytes?: number;
  /** The bundle's V8 code cache (bundle.cache), from the manifest. */
  cacheBytes?: number;
  gzipBytes?: number;
  /** require + first invocation, median of fresh processes (scripts/coldstart.ts). */
  coldStartMs?: number;
  requireMs?: number;
  firstCallMs?: number;
  /** CPU ms (all threads) of require + first invocation, median. */
  coldStartCpuMs?: number;
  /** Millions of instructions require() adds to a bare node start (callgrind). */
  requireMegaInstructions?: number;
  /** KiB each package (or shared/ folder) adds to the bundle, largest first (esbuild metafile). */
  loads?: Record<string, number>;
}

/** Where an input of the bundle comes from: its npm package, else its project folder. */
function origin(input: string): string {
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];
  if (pkg) return pkg;
  const parts = input.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : input;
}

/** The bundle's bytes by origin (top 8, KiB), from its metafile; the metafile is copied into bench/metafiles/. */
function loadsOf(name: string): Record<string, number> | undefined {
  const file = path.join(METAFILES, `${name}.json`);
  if (!existsSync(file)) return undefined;
  mkdirSync(BENCH_METAFILES, { recursive: true });
  copyFileSync(file, path.join(BENCH_METAFILES, `${name}.json`));
  const meta = JSON.parse(readFileSync(file, 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
  const sums = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) sums.set(origin(input), (sums.get(origin(input)) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries([...sums].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, Math.round(v / 102.4) / 10]));
}

const hasValgrind = () => spawnSync('valgrind', ['--version']).status === 0;

export interface BundleResult {
  status: 'ok' | 'no-manifest' | 'no-coldstart-script' | 'coldstart-failed';
  note: string;
  rows: BundleRow[];
  manifest?: unknown;
  coldstart?: unknown;
}

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Name -> record, from either an array of records with a name or a map keyed by name. */
function entries(value: unknown): [string, Loose][] {
  if (Array.isArray(value)) {
    return value.filter(isObject).map((e, i) => [String(e.name ?? e.function ?? e.functionName ?? e.bundle ?? e.entry ?? i), e]);
  }
  if (isObject(value)) {
    for (const key of ['functions', 'bundles', 'entries', 'results', 'outputs']) {
      if (key in value) return entries(value[key]);
    }
    return Object.entries(value).filter((e): e is [string, Loose] => isObject(e[1]));
  }
  return [];
}

function pickNumber(record: Loose, names: string[]): number | undefined {
  for (const name of names) {
    const v = record[name];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function runColdstart(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', 'scripts/coldstart.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last top-level JSON value in a command's output (tolerates log lines before it). */
function lastJson(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    for (let at = trimmed.lastIndexOf('\n{'); at >= 0; at = trimmed.lastIndexOf('\n{', at - 1)) {
      try {
        return JSON.parse(trimmed.slice(at + 1));
      } catch {
        /* keep looking */
      }
    }
    const first = trimmed.indexOf('{');
    if (first >= 0) return JSON.parse(trimmed.slice(first));
    throw new Error('no JSON in output');
  }
}

export async function runBundles(options: { coldstartTimeoutMs: number }): Promise<BundleResult> {
  if (!existsSync(MANIFEST)) return { status: 'no-manifest', note: 'see npm run build (no dist/manifest.json)', rows: [] };
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as unknown;
  const rows = new Map<string, BundleRow>();
  for (const [name, record] of entries(manifest)) {
    rows.set(name, {
      name,
      bytes: pickNumber(record, ['bytes', 'size', 'sizeBytes', 'minifiedBytes', 'outputBytes']),
      cacheBytes: pickNumber(record, ['cacheBytes']),
      gzipBytes: pickNumber(record, ['gzipBytes', 'gzip', 'gzipSize', 'zipBytes', 'zipSize']),
      loads: loadsOf(name),
    });
  }
  if (!existsSync(COLDSTART)) {
    return { status: 'no-coldstart-script', note: 'see npm run build (scripts/coldstart.ts not present yet)', rows: [...rows.values()], manifest };
  }
  // As asked: `--json`. Until the script knows that flag (it then takes it for a
  // function name and stops at once), fall back to its table with --local.
  const attempts: { args: string[]; parse: 'json' | 'table' }[] = [
    // --local: the test setup (local Redis, loopback IM/live fake), so every run measures the same thing.
    { args: ['--json', '--local', ...(hasValgrind() ? ['--instructions', COUNTED.join(',')] : [])], parse: 'json' },
    { args: ['--local', '--runs', '3'], parse: 'table' },
  ];
  const failures: string[] = [];
  for (const attempt of attempts) {
    const run = await runColdstart(attempt.args, options.coldstartTimeoutMs);
    const how = `scripts/coldstart.ts ${attempt.args.join(' ')}`;
    if (run.code !== 0) {
      failures.push(`${how} exited ${run.code}: ${lastLine(run.stderr || run.stdout)}`);
      continue;
    }
    try {
      const found = attempt.parse === 'json' ? fromJson(lastJson(run.stdout)) : fromTable(run.stdout);
      if (found.length === 0) throw new Error('no rows');
      for (const row of found) rows.set(row.name, { ...(rows.get(row.name) ?? { name: row.name }), ...row, bytes: rows.get(row.name)?.bytes ?? row.bytes });
      const note = failures.length > 0 ? `${how} (after: ${failures.join('; ')})` : how;
      return { status: 'ok', note, rows: [...rows.values()], manifest, coldstart: attempt.parse === 'json' ? lastJson(run.stdout) : run.stdout };
    } catch (error) {
      failures.push(`${how}: unreadable output (${errorMessage(error)})`);
    }
  }
  return { status: 'coldstart-failed', note: failures.join('; '), rows: [...rows.values()], manifest };
}

const lastLine = (text: string) => text.trim().split('\n').filter((l) => !l.startsWith('npm warn')).pop()?.slice(0, 200) ?? '';

function fromJson(value: unknown): BundleRow[] {
  return entries(value).map(([name, record]) => ({
    name,
    coldStartMs: pickNumber(record, ['totalMs', 'coldStartMs', 'coldstartMs', 'ms', 'median', 'medianMs', 'p50', 'p50Ms']),
    requireMs: pickNumber(record, ['requireMs', 'loadMs']),
    firstCallMs: pickNumber(record, ['firstMs', 'firstCallMs', 'invokeMs']),
    coldStartCpuMs: pickNumber(record, ['totalCpuMs']),
    requireMegaInstructions: pickNumber(record, ['requireMegaInstructions']),
    bytes: pickNumber(record, ['bytes', 'size']),
  }));
}

/** Rows of the text table: `name  KB  require ms  first call ms  cold start ms`. */
function fromTable(text: string): BundleRow[] {
  const rows: BundleRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$/.exec(line.trim());
    if (m) rows.push({ name: m[1]!, requireMs: Number(m[3]), firstCallMs: Number(m[4]), coldStartMs: Number(m[5]) });
  }
  return rows;
}
