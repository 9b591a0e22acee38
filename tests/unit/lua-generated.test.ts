/**
 * The Lua scripts run from lua.generated.ts (built from shared/{rooms,auth}/lua
 * by `npm run lua`): a stale generated file would run old rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate, LUA_DIRS } from '../../scripts/lua-build';

describe('generated Lua modules', () => {
  for (const dir of LUA_DIRS) {
    it(`${dir} matches its lua.generated.ts (run npm run lua after editing a script)`, () => {
      const { file, text } = generate(dir);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }

  it('refuses a header whose KEYS disagree with the file name', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'lua-'));
    writeFileSync(path.join(dir, 'bad-2.lua'), "--- A script.\n-- KEYS\n--   1 session  the session\n-- ARGV: none.\nreturn 1\n");
    expect(() => generate(dir)).toThrow(/header names 1 KEYS, file name says 2/);
  });

  it('the scripts sent only the common ARGV 1-10 (SHORT_ARGV) read nothing past them and append no event', async () => {
    const { readdirSync } = await import('node:fs');
    const path = await import('node:path');
    const { SHORT_ARGV } = await import('../../shared/rooms/store');
    const dir = path.resolve(__dirname, '../../shared/rooms/lua');
    for (const name of SHORT_ARGV) {
      const file = readdirSync(dir).find((f) => f.startsWith(`${name}-`))!;
      const own = readFileSync(path.join(dir, file), 'utf8');
      expect(own, file).not.toMatch(/\barg\(/);
      expect(own, file).not.toMatch(/ARGV\[(1[1-9]|[2-9]\d)\]/);
      expect(own, file).not.toMatch(/@include "helpers\/(events|rules)"/);
      expect(own, file).not.toMatch(/roomType|logMax/);
    }
  });
});
