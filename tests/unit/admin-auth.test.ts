/**
 * The admin key check compares in constant time: timingSafeEqual on two
 * SHA-256 digests (equal lengths whatever was presented), called for every
 * request, the missing key and the wrong-length key included.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
// vi.mock below is hoisted above this import, so the handler gets the spied module.
import { presentsAdminKey } from '../../shared/admin/handler';

const compared = vi.hoisted(() => [] as [Buffer, Buffer][]);
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
      return crypto.timingSafeEqual(a, b);
    },
  };
});


const KEY = 'unit-admin-key-0123456789abcdefghijklmnop';

describe('presentsAdminKey', () => {
  afterEach(() => {
    compared.length = 0;
  });

  it.each([
    ['the right key', `Bearer ${KEY}`, true],
    ['any case of the scheme', `bearer ${KEY}`, true],
    ['a key one character off', `Bearer ${KEY.slice(0, -1)}X`, false],
    ['a prefix of the key', `Bearer ${KEY.slice(0, 10)}`, false],
    ['a longer key', `Bearer ${KEY}${KEY}`, false],
    ['another scheme', `Basic ${KEY}`, false],
    ['the scheme alone', 'Bearer', false],
    ['no header', undefined, false],
  ])('%s: compares two 32-byte digests once', (_case, header, expected) => {
    expect(presentsAdminKey(header, KEY)).toBe(expected);
    expect(compared).toHaveLength(1);
    const [a, b] = compared[0]!;
    expect([a.length, b.length]).toEqual([32, 32]);
  });
});
