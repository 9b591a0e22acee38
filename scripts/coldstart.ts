/**
 * Cold start of every bundle: for each function, N fresh Node processes (default
 * 5), each loading `dist/<function>/index.js` and answering `events/<function>.json`
 * once, exactly as `npm run invoke` does. Prints the medians.
 *
 *   npx tsx scripts/coldstart.ts [--runs N] [--local] [--json] [--instructions f1,f2] [function ...]
 *
 * Besides wall time it reports the process's CPU time (every thread) for the
 * same two steps, which other jobs on a shared machine disturb less, and with
 * --instructions the instructions `require()` of the named bundles executes
 * beyond a bare `node` start, counted by valgrind's callgrind: a count the
 * machine's load does not change (~1% apart run to run; ~25 s per bundle).
 *
 * The environment is the current one (REDIS_URL, IM_*, LIVE_* ...). With
 * --local it is the test setup instead: the Redis at REDIS_URL (default
 * 127.0.0.1:6379) under a throwaway key prefix, and the loopback fake of the IM
 * and live APIs, so the numbers include a real Redis connection and real IM
 * calls over HTTP. Run `npm run build` first.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import Redis from 'ioredis';
import { bundlePath, codePath, functionNames, kb } from './build';
import { eventPath, readEvent, runBundle, takeCount } from './invoke';
import { errorMessage } from '../shared/errors';

export interface ColdStart {
  name: string;
  bytes: number;
  requireMs: number;
  firstMs: number;
  totalMs: number;
  /** CPU ms (all threads) of require, of the first call, and of both (medians). */
  requireCpuMs?: number;
  firstCpuMs?: number;
  totalCpuMs?: number;
  /** Millions of instructions require() executes beyond a bare node start (--instructions). */
  requireMegaInstructions?: number;
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Median over `runs` fresh processes; runs are sequential so they do not compete for the CPU. */
export async function measureColdStart(name: string, env: NodeJS.ProcessEnv, runs = 5): Promise<ColdStart> {
  const file = bundlePath(name);
  const event = readEvent(eventPath(name));
  const requires: number[] = [];
  const firsts: number[] = [];
  const cpus: { require: number; first: number }[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { ready, invocations, exitCode, stderr } = await runBundle(file, [event], { env, name });
    const first = invocations[0]!;
    if (first.error || exitCode !== 0) throw new Error(`${name}: ${first.error ?? `exit code ${exitCode}`} ${stderr}`);
    requires.push(ready.requireMs);
    firsts.push(first.ms);
    if (ready.requireCpuMs !== undefined && first.cpuMs !== undefined) cpus.push({ require: ready.requireCpuMs, first: first.cpuMs });
  }
  const requireMs = median(requires);
  const firstMs = median(firsts);
  const cpu =
    cpus.length === runs
      ? { requireCpuMs: median(cpus.map((c) => c.require)), firstCpuMs: median(cpus.map((c) => c.first)), totalCpuMs: median(cpus.map((c) => c.require + c.first)) }
      : {};
  return { name, bytes: statSync(codePath(name)).size, requireMs, firstMs, totalMs: median(requires.map((r, i) => r + firsts[i]!)), ...cpu };
}

/** Instructions of `node -e <code>` under callgrind (all threads), or undefined without valgrind. */
function instructions(code: string): number | undefined {
  const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', '--smc-check=all-non-file', process.execPath, '-e', code], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  return Number(/Collected : (\d+)/.exec(run.stderr)?.[1]) || undefined;
}

/** Millions of instructions require(bundle) adds to a bare node start (callgrind), or undefined without valgrind. */
export function requireInstructions(name: string): number | undefined {
  const bare = instructions('0');
  const loaded = instructions(`require(${JSON.stringify(bundlePath(name))})`);
  return bare !== undefined && loaded !== undefined ? Math.round((loaded - bare) / 1e5) / 10 : undefined;
}

export function coldStartTable(rows: ColdStart[]): string {
  const width = Math.max('function'.length, ...rows.map((r) => r.name.length));
  const cols = ['KB', 'require ms', 'first call ms', 'cold start ms', 'cold CPU ms', 'require Minstr'];
  const header = `${'function'.padEnd(width)}  ${cols.map((c) => c.padStart(13)).join('  ')}`;
  const lines = [header, '-'.repeat(header.length)];
  for (const r of rows) {
    const cells = [kb(r.bytes), r.requireMs.toFixed(1), r.firstMs.toFixed(1), r.totalMs.toFixed(1), r.totalCpuMs?.toFixed(1) ?? '-', r.requireMegaInstructions?.toFixed(1) ?? '-'];
    lines.push(`${r.name.padEnd(width)}  ${cells.map((c) => c.padStart(13)).join('  ')}`);
  }
  return lines.join('\n');
}

/** The test setup: local Redis under a fresh prefix, fake IM/live APIs on 127.0.0.1. */
async function localEnv(): Promise<{ env: NodeJS.ProcessEnv; close(): Promise<void> }> {
  // Test support is loaded only here, so the script itself never depends on it.
  const { startTestCloud, testEnv } = await import('../tests/support/test-env');
  const fake = await startTestCloud();
  const prefix = `coldstart-${randomBytes(4).toString('hex')}`;
  const config = testEnv(undefined, prefix, { IM_API_BASE_URL: fake.imBaseUrl, CLOUD_API_BASE_URL: fake.cloudBaseUrl });
  return {
    env: { PATH: process.env.PATH, ...config },
    async close() {
      const redis = new Redis(config.REDIS_URL!);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await fake.close();
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const args = [...argv];
  const runs = takeCount(args, '--runs', 5);
  if (runs === undefined) throw new Error('--runs needs a positive integer');
  const flag = (name: string) => {
    const at = args.indexOf(name);
    if (at !== -1) args.splice(at, 1);
    return at !== -1;
  };
  const local = flag('--local');
  const countAt = args.indexOf('--instructions');
  const counted = countAt === -1 ? [] : (args.splice(countAt, 2)[1] ?? '').split(',').filter(Boolean);
  if (countAt !== -1 && counted.length === 0) throw new Error('--instructions needs function names (f1,f2)');
  const json = flag('--json');
  const unknown = args.find((arg) => arg.startsWith('-'));
  if (unknown) throw new Error(`unknown option ${unknown} (usage: coldstart.ts [--runs N] [--local] [--json] [--instructions f1,f2] [function ...])`);
  const names = args.length > 0 ? args : functionNames();
  for (const name of names) {
    if (!existsSync(bundlePath(name))) throw new Error(`${bundlePath(name)} is missing: run \`npm run build\` first`);
  }
  const setup = local ? await localEnv() : { env: process.env, close: async () => undefined };
  try {
    const rows: ColdStart[] = [];
    for (const name of names) rows.push(await measureColdStart(name, setup.env, runs));
    for (const row of rows) if (counted.includes(row.name)) row.requireMegaInstructions = requireInstructions(row.name);
    const setting = `median of ${runs} fresh processes per function (node ${process.version}, ${local ? 'local Redis + fake cloud' : 'current environment'})`;
    if (json) process.stdout.write(`${JSON.stringify({ runs, node: process.version, local, functions: rows }, null, 2)}\n`);
    else process.stdout.write(`${setting}\n${coldStartTable(rows)}\n`);
  } finally {
    await setup.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`coldstart failed: ${errorMessage(error)}\n`);
    process.exit(1);
  });
}
