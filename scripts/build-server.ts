/**
 * `npm run build:server`: the self-hosted server (server/index.ts) as one
 * self-contained file, dist/server/index.js, run with plain `node` (no
 * TypeScript loader at run time; `npm run serve` builds and runs it). Built
 * with the function bundles' settings (scripts/build.ts: target, aliases,
 * trimmed tables), since it serves the same code; it is not a function, so
 * `npm run build` (which empties dist/) does not make it and no deploy ships it.
 */
import { build as esbuild } from 'esbuild';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { errorMessage } from '../shared/errors';
import { BUNDLE_OPTIONS, DIST_DIR, ROOT, kb } from './build';

export const SERVER_DIR = join(DIST_DIR, 'server');
export const SERVER_BUNDLE = join(SERVER_DIR, 'index.js');

export async function buildServer(outdir = SERVER_DIR): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.js');
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'server', 'index.ts')],
    outfile,
    ...BUNDLE_OPTIONS,
  });
  return outfile;
}

if (require.main === module) {
  const started = performance.now();
  buildServer()
    .then((file) => process.stdout.write(`${relative(ROOT, file)} (${kb(statSync(file).size)} KB, ${Math.round(performance.now() - started)} ms); run: node ${relative(ROOT, file)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`server build failed: ${errorMessage(error)}\n`);
      process.exit(1);
    });
}
