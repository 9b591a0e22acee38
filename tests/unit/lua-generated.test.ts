/**
 * The Lua scripts run from lua.generated.ts (built from shared/{rooms,auth}/lua
 * by `npm run lua`): a stale generated file would run old rules.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
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

  it('the heartbeat (the hot path) reads only its own ARGV 1-8 (a table of up to 8 entries costs Redis one resize less than 9), includes only the admission checks and the backstop, and appends no event', () => {
    const own = readFileSync(path.resolve(__dirname, '../../shared/rooms/lua/heartbeat-4.lua'), 'utf8');
    expect(own).not.toMatch(/\barg\(/);
    expect(own).not.toMatch(/ARGV\[(9|\d\d)\]/);
    expect([...own.matchAll(/@include "([^"]+)"/g)].map((m) => m[1])).toEqual(['helpers/admit', 'helpers/backstop']);
    expect(own).not.toMatch(/appendEvent|roomType|logMax/);
  });

});
