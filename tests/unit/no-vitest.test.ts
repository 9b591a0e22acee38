/**
 * The bench, the scripts and the load generator run under plain Node (tsx),
 * where importing vitest throws ("Vitest cannot be imported in a CommonJS
 * module using require()"): `npm run bench` once crashed at start because
 * bench/lib/bed.ts reached vitest through tests/support/harness.ts. What they
 * share with the tests lives in tests/support/test-env.ts, which imports no
 * test runner. This follows every import (static and literal dynamic ones)
 * from each entry point, as esbuild resolves them, and fails on any path to
 * vitest or to a test-only module.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';

/** Every program a person or CI runs with tsx (package.json scripts, the bench's children). */
const ENTRIES = [
  ...['bench', 'scripts', 'tests/load'].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => `${dir}/${f}`),
  ),
];

/** Test-runner packages, and the repository's modules that exist only for vitest. */
const isTestOnly = (path: string) => /^(vitest|@vitest\/)/.test(path) || /(^|\/)tests\/support\/harness\.ts$/.test(path) || /\.test\.ts$/.test(path);

/** What a bundle of `options` reaches: external packages and the repository's own files. */
async function reached(options: BuildOptions): Promise<string[]> {
  const result = await build({ ...options, absWorkingDir: ROOT, bundle: true, platform: 'node', format: 'cjs', packages: 'external', write: false, metafile: true, outdir: 'out', logLevel: 'silent' });
  const paths = new Set<string>(Object.keys(result.metafile.inputs));
  for (const input of Object.values(result.metafile.inputs)) for (const imp of input.imports) if (imp.external) paths.add(imp.path);
  return [...paths];
}

describe('programs run with tsx reach no test runner', () => {
  it('lists the bench, the scripts and the load generator', () => {
    expect(ENTRIES).toEqual(expect.arrayContaining(['bench/run.ts', 'bench/partitions.ts', 'scripts/coldstart.ts', 'scripts/gateway.ts', 'tests/load/load.ts']));
  });

  it.each(ENTRIES)('%s imports neither vitest nor tests/support/harness.ts', async (entry) => {
    expect((await reached({ entryPoints: [entry] })).filter(isTestOnly)).toEqual([]);
  });

  it('the check sees vitest behind tests/support/harness.ts (so the checks above can fail)', async () => {
    const paths = await reached({ stdin: { contents: "import '../support/harness';", resolveDir: join(ROOT, 'tests/unit'), loader: 'ts' } });
    expect(paths.filter(isTestOnly)).toEqual(expect.arrayContaining(['tests/support/harness.ts', 'vitest']));
  });
});
