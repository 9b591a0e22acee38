/**
 * The README's first curl session is run as written, in bash, against the
 * local gateway exactly as `npm start` builds it (embedded store, no cloud
 * credentials), so the README cannot drift from the service.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../shared/log';
import { startGateway, type Gateway } from '../../scripts/gateway';

const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The ```bash block right after the `readme-session` marker. */
function sessionBlock(): string {
  const match = /<!-- readme-session[^>]*-->\s*```bash\n([\s\S]*?)```/.exec(README);
  if (!match) throw new Error('README has no readme-session block');
  return match[1]!;
}

let gw: Gateway;
beforeAll(async () => {
  setLogSink(() => undefined);
  // What `npm start` does on a fresh machine: nothing configured.
  gw = await startGateway({ env: { PATH: process.env.PATH }, port: 0, sweepIntervalMs: 0, quiet: true });
});
afterAll(async () => gw?.close());

describe('README curl session', () => {
  it('covers login, create, join, heartbeat, list, custom field, audience and leave', () => {
    const block = sessionBlock();
    for (const action of ['login', 'create_room', 'add_pusher', 'pusher_heartbeat', 'get_room_list', 'set_custom_field', 'add_audience', 'delete_pusher']) {
      expect(block, action).toContain(action);
    }
  });

  it('runs as written: every answer is code 0 and says what the session did', async () => {
    const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', sessionBlock()], { env: { ...process.env, B: gw.url }, timeout: 30_000 });
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown> & { code: number });
    expect(answers.map((a) => a.code)).toEqual(answers.map(() => 0));
    expect(answers).toHaveLength(10);
    const [created, , , firstList, custom, , audiences, , , lastList] = answers;
    expect(created!.roomID).toBe('demo');
    expect((firstList!.rooms as { roomID: string; pushers: { userID: string }[] }[]).map((r) => [r.roomID, r.pushers.map((p) => p.userID)])).toEqual([['demo', ['host']]]);
    expect(custom!.custom).toBe('{"likes":5}');
    expect(audiences!.audiences).toEqual([{ userID: 'viewer', userInfo: '{"nick": "V"}' }]);
    expect(lastList!.rooms).toEqual([]);
  });
});
