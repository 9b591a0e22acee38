/**
 * Bans are enforced by the join scripts themselves (helpers/bans.lua), so
 * every script that seats a user, creates a room or admits an audience member
 * must check them: a new join path (a new room type's enter, another script)
 * that forgets it fails here, not in production.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRIPTS } from '../../shared/rooms/scripts';

const DIR = join(__dirname, '../../shared/rooms/lua');
/** What joining looks like in a script: a seat written, a room created or reserved, an audience entry written. */
const JOINS = /redis\.call\('HSET', r\.pushers|newRoom\(|reserveRoom\(|redis\.call\('HSET', r\.audience/;

describe('admin bans on every join path', () => {
  const scripts = readdirSync(DIR).filter((f) => /^\w+-\d+\.lua$/.test(f));
  const joining = scripts.filter((f) => JOINS.test(readFileSync(join(DIR, f), 'utf8')));

  it('finds the join scripts (create_room, add_pusher, add_audience)', () => {
    expect(joining.map((f) => f.replace(/-\d+\.lua$/, '')).sort()).toEqual(expect.arrayContaining(['audience', 'createRoom', 'joinRoom', 'prepareCreate']));
  });

  it.each(joining)('%s checks the caller\'s bans, with both ban keys in its KEYS', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    expect(text).toContain('--- @include "helpers/bans"');
    expect(text).toMatch(/banRefusal\(KEYS\[\d+\], KEYS\[\d+\]\)/);
    const keys = SCRIPTS[file.replace(/-\d+\.lua$/, '') as keyof typeof SCRIPTS].keys as readonly string[];
    expect(keys).toEqual(expect.arrayContaining(['serviceBan', 'roomBan']));
  });
});
