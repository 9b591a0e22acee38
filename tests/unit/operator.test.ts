/**
 * Operator ergonomics: `.env.example` lists every variable the service and the
 * deploy read (derived from shared/config.ts and the deploy's own table, so the
 * file cannot drift), `.env` loading leaves the shell in charge, and
 * `npm run invoke` treats a 5xx answer as a failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../shared/config';
import { ROOT } from '../../scripts/build';
import { DEPLOY_VARIABLES, shownValue } from '../../scripts/deploy-plan';
import { loadDotEnv } from '../../scripts/dotenv';
import { failedResponse } from '../../scripts/invoke';

/** Read by the local gateway alone (scripts/gateway.ts), not a config setting: none since SWEEP_INTERVAL_MS moved into shared/config.ts. */
const GATEWAY_ONLY: string[] = [];

describe('.env.example', () => {
  const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
  const assignment = /^(?:# )?([A-Z][A-Z0-9_]*)=/;

  it('lists every variable once, each under a one-line comment, and nothing else', () => {
    // Prepare
    const expected = [...CONFIG_VARIABLES, ...Object.keys(DEPLOY_VARIABLES), ...GATEWAY_ONLY].sort();

    // Act
    const listed = lines.flatMap((line, i) => {
      const name = assignment.exec(line)?.[1];
      return name ? [{ name, comment: lines[i - 1] ?? '' }] : [];
    });

    // Assess
    expect(listed.map((entry) => entry.name).sort()).toEqual(expected);
    for (const { name, comment } of listed) {
      expect(comment, name).toMatch(/^# \S/);
      expect(assignment.test(comment), `${name} needs its own comment line`).toBe(false);
    }
  });

  it('holds no value for a secret', () => {
    // The deploy's own rule for what is secret (scripts/deploy-plan.ts shownValue).
    const secrets = lines.filter((line) => {
      const [, name, value] = /^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line) ?? [];
      return name !== undefined && value !== '' && shownValue(name, 'value') === '***';
    });
    expect(secrets).toEqual([]);
    expect(shownValue('IM_SECRET_KEY', 'value')).toBe('***'); // the rule does flag secrets
  });
});

describe('.env loading', () => {
  let dir: string | undefined;
  const touched = ['ROOMSERVICE_TEST_FROM_FILE', 'ROOMSERVICE_TEST_FROM_SHELL'];
  afterEach(() => {
    for (const name of touched) delete process.env[name];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the file with Node\'s own parser; a variable set in the shell wins', () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'roomservice-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'ROOMSERVICE_TEST_FROM_FILE=file\nROOMSERVICE_TEST_FROM_SHELL=file\n');
    process.env.ROOMSERVICE_TEST_FROM_SHELL = 'shell';

    // Act
    const loaded = loadDotEnv(file);
    const missing = loadDotEnv(join(dir, 'absent.env'));

    // Assess
    expect([loaded, missing]).toEqual([true, false]);
    expect(process.env.ROOMSERVICE_TEST_FROM_FILE).toBe('file');
    expect(process.env.ROOMSERVICE_TEST_FROM_SHELL).toBe('shell');
  });
});

describe('npm run invoke verdict', () => {
  it.each([
    [{ statusCode: 200, body: '{"code":0}' }, false],
    [{ statusCode: 200, body: '{"code":7}' }, false],
    [{ statusCode: 404, body: '{"code":404}' }, false],
    [{ statusCode: 500, body: '{"code":5002}' }, true],
    [{ statusCode: 503, body: '{"code":5003}' }, true],
    [{ code: 0, message: 'swept' }, false],
    [{ code: 5002, message: 'sweep failed' }, true],
    [undefined, false],
  ])('%j failed: %s', (response, failed) => {
    expect(failedResponse(response)).toBe(failed);
  });
});
