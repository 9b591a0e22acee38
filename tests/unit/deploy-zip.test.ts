/**
 * The code package: a standard zip (read back here from its central directory,
 * as unzip and SCF do), index.js at the top, the same bytes for the same bundle.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { zipDirectory } from '../../scripts/deploy-zip';

/** Every entry of a zip, found through the end record and the central directory. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(at + 16);
    const packed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(start, start + packed));
    expect(crc32(data), name).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return files;
}

describe('code package', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roomservice-zip-'));
    writeFileSync(join(dir, 'index.js'), 'exports.main_handler = async () => ({ code: 0 });\n'.repeat(50));
    writeFileSync(join(dir, 'index.js.map'), '{"version":3}');
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'lib', 'data.bin'), Buffer.from([0, 1, 2, 255]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds every file under its relative path, content intact', () => {
    const files = unzip(zipDirectory(dir));
    expect([...files.keys()]).toEqual(['index.js', 'index.js.map', 'lib/data.bin']);
    expect(files.get('index.js')!.toString()).toContain('exports.main_handler');
    expect([...files.get('lib/data.bin')!]).toEqual([0, 1, 2, 255]);
  });

  it('is the same bytes for the same files (content-addressed uploads)', () => {
    expect(zipDirectory(dir).equals(zipDirectory(dir))).toBe(true);
  });
});

describe('the Node versions package.json allows', () => {
  it('all have zlib.crc32, which the zip writer uses (added in Node 20.15 and 22.2)', () => {
    // Prepare: the lowest version `engines` allows.
    const { engines } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const [major, minor] = /^>=(\d+)\.(\d+)/.exec(engines.node)!.slice(1).map(Number) as [number, number];

    // Assess: what scripts/deploy-zip.ts imports exists on that version.
    expect(readFileSync(join(ROOT, 'scripts/deploy-zip.ts'), 'utf8')).toMatch(/import \{ crc32, deflateRawSync \} from 'node:zlib'/);
    expect(major > 20 || (major === 20 && minor >= 15), `engines ${engines.node}`).toBe(true);
    expect(typeof crc32).toBe('function');
  });
});
