/**
 * The build's load-time fixes to third-party modules (scripts/build.ts) keep
 * them working: a module loaded on first use is absent after load and
 * there, whole, once it is needed.
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
const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);
const before = { tls: loaded('tls'), assert: loaded('assert') };
const Redis = require('ioredis').default;
const { ReplyError } = require('redis-errors');
const afterIoredis = { tls: loaded('tls'), assert: loaded('assert') };
const http2Loaded = () => loaded('http2');
const axios = require('axios').default;
const http2AfterLoad = http2Loaded();
const form = axios.toFormData({ room: 'r1' });
// rediss://: ioredis reaches Node's tls through the stand-in; the server sees a TLS ClientHello (first byte 0x16).
const server = require('net').createServer((socket) => socket.once('data', (bytes) => { firstByte = bytes[0]; socket.destroy(); }));
let firstByte;
server.listen(0, '127.0.0.1', () => {
const tlsClient = new Redis({ port: server.address().port, host: '127.0.0.1', tls: {}, lazyConnect: true, retryStrategy: () => null });
tlsClient.on('error', () => undefined);
tlsClient.connect().catch(() => {
server.close();
console.log(JSON.stringify({
  tlsHello: firstByte === 0x16 && loaded('tls'),
  before, afterIoredis, replyError: new ReplyError('ERR x') instanceof Error, redisClass: typeof Redis,
  http2AfterLoad,
  formData: typeof form.getBoundary === 'function' && form.getBoundary().length > 0,
  isFormData: form instanceof require('form-data'),
}));
});
});
`;

describe('modules loaded on first use (scripts/build.ts loadedOnFirstUse)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roomservice-plugins-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are not loaded with the module that imports them, and work whole when used', async () => {
    const outfile = join(dir, 'probe.js');
    const { metafile } = await build({ ...BUNDLE_OPTIONS, sourcemap: false, legalComments: 'none', metafile: true, stdin: { contents: PROBE, resolveDir: ROOT, sourcefile: 'probe.js' }, outfile });

    const run = spawnSync(process.execPath, [outfile], { encoding: 'utf8' });

    expect(run.stderr).toBe('');
    const seen = JSON.parse(run.stdout) as {
      before: Record<string, boolean>;
      afterIoredis: Record<string, boolean>;
      replyError: boolean;
      redisClass: string;
      http2AfterLoad: boolean;
      formData: boolean;
      isFormData: boolean;
      tlsHello: boolean;
    };
    // ioredis loads neither tls (rediss:// only) nor assert (redis-errors' parser checks).
    expect(seen.before).toEqual({ tls: false, assert: false });
    expect(seen.afterIoredis).toEqual({ tls: false, assert: false });
    expect(seen.replyError).toBe(true);
    expect(seen.redisClass).toBe('function');
    expect(seen.tlsHello).toBe(true);
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
