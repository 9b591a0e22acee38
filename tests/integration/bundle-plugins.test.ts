/**
 * The build's load-time fixes to third-party modules (scripts/build.ts) keep
 * them working: a module axios loads on first use is absent after load and
 * there, whole, once axios needs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_OPTIONS, ROOT } from '../../scripts/build';

/** Loads axios from a bundle made like the functions', and reports what was loaded when. */
const PROBE = `
const http2Loaded = () => process.moduleLoadList.includes('NativeModule http2');
const axios = require('axios').default;
const http2AfterLoad = http2Loaded();
const form = axios.toFormData({ room: 'r1' });
console.log(JSON.stringify({
  http2AfterLoad,
  formData: typeof form.getBoundary === 'function' && form.getBoundary().length > 0,
  isFormData: form instanceof require('form-data'),
}));
`;

describe('modules axios loads on first use (scripts/build.ts loadedOnFirstUse)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roomservice-plugins-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are not loaded with axios, and work whole when used', async () => {
    const outfile = join(dir, 'probe.js');
    const { metafile } = await build({ ...BUNDLE_OPTIONS, sourcemap: false, legalComments: 'none', metafile: true, stdin: { contents: PROBE, resolveDir: ROOT, sourcefile: 'probe.js' }, outfile });

    const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8' });

    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as { http2AfterLoad: boolean; formData: boolean; isFormData: boolean };
    // axios imports the stand-ins, not the modules.
    const axiosImports = Object.entries(metafile.inputs).find(([path]) => /axios[\\/]dist[\\/]node[\\/]axios\.cjs$/.test(path))![1].imports.map((i) => i.path);
    expect(axiosImports).toEqual(expect.arrayContaining(['trimmed:on-first-use/http2', 'trimmed:on-first-use/form-data', 'trimmed:on-first-use/https-proxy-agent']));
    expect(axiosImports).not.toContain('form-data');
    // Node's http2 is not loaded with axios (an observable builtin).
    expect(seen.http2AfterLoad).toBe(false);
    // Used through axios (new, methods, instanceof), the stand-in is the real module.
    expect(seen.formData).toBe(true);
    expect(seen.isFormData).toBe(true);
  });
});
