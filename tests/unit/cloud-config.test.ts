/**
 * The settings of the Cloud API client, the stream callbacks and the IM notice
 * channel: defaults, and every problem reported by variable name.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import { verifyCallbackSignature, readStreamEvent } from '../../shared/live/callback';
import { mixSessionId } from '../../shared/live/mix';
import { createHash } from 'node:crypto';

const BASE = {
  LIVE_APP_ID: '1250000000',
  LIVE_BIZID: '8888',
  LIVE_PUSH_SECRET_KEY: 'e12c46f2612d5106e2034781ab261ca3',
  IM_SDK_APP_ID: '1400000000',
  IM_SECRET_KEY: 'a'.repeat(64),
  IM_ADMINISTRATOR: 'administrator',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('defaults: auto notices, public Cloud API endpoints, no credentials, callbacks off, 60 s spare bound', () => {
    const config = loadConfig(BASE);

    expect(config.im.notifyMode).toBe('auto');
    expect(config.cloud).toMatchObject({ baseUrl: undefined, region: undefined, timeoutMs: 3000 });
    expect(config.cloud.credentials()).toBeUndefined();
    expect(config.live).toMatchObject({ callbackKey: undefined, checkStreamBeforeEvict: false, checkStreamMaxSpareMs: 60_000 });
  });

  it('the execution role variables win over the configured key pair, read at each call', () => {
    const env: Record<string, string | undefined> = { ...BASE, CLOUD_API_SECRET_ID: 'AKIDconfigured01', CLOUD_API_SECRET_KEY: 'configuredSecret01' };
    const config = loadConfig(env);
    expect(config.cloud.credentials()).toEqual({ secretId: 'AKIDconfigured01', secretKey: 'configuredSecret01' });

    Object.assign(env, { TENCENTCLOUD_SECRETID: 'AKIDrole', TENCENTCLOUD_SECRETKEY: 'roleKey', TENCENTCLOUD_SESSIONTOKEN: 'token' });

    expect(config.cloud.credentials()).toEqual({ secretId: 'AKIDrole', secretKey: 'roleKey', token: 'token' });
  });

  it.each([
    [{ CLOUD_API_SECRET_ID: 'AKIDconfigured01' }, 'CLOUD_API_SECRET_KEY is required when CLOUD_API_SECRET_ID is set'],
    [{ CLOUD_API_SECRET_KEY: 'configuredSecret01' }, 'CLOUD_API_SECRET_ID is required when CLOUD_API_SECRET_KEY is set'],
    [{ CLOUD_API_SECRET_ID: 'AKID with spaces' }, 'CLOUD_API_SECRET_ID must be a SecretId'],
    [{ CLOUD_API_BASE_URL: 'ftp://x' }, 'CLOUD_API_BASE_URL must be an http(s) URL'],
    [{ CLOUD_API_REGION: 'Guangzhou' }, 'CLOUD_API_REGION must be a region id'],
    [{ LIVE_CALLBACK_KEY: 'short' }, 'LIVE_CALLBACK_KEY must be 8-128 printable characters'],
    [{ CHECK_STREAM_MAX_SPARE: '-1' }, 'CHECK_STREAM_MAX_SPARE must be positive'],
    [{ IM_NOTIFY_MODE: 'loud' }, 'IM_NOTIFY_MODE must be auto, system, custom or both'],
  ])('%j is reported by name', (env, message) => {
    expect(problems(env as Record<string, string>).join('; ')).toContain(message);
  });

  it('no longer reads the 2017 live API settings', () => {
    const config = loadConfig({ ...BASE, LIVE_API_KEY: 'not even hex', LIVE_API_BASE_URL: 'not a url' });
    expect(JSON.stringify(config)).not.toContain('not even hex');
  });
});

describe('stream callback reading', () => {
  const key = 'callback-key-0123';
  const sign = (t: number) => createHash('md5').update(key + t).digest('hex');

  it('accepts md5(key + t) in either case while t is in the future, refuses the rest with 403', () => {
    const now = 1_800_000_000;
    expect(() => verifyCallbackSignature(key, { t: now + 1, sign: sign(now + 1) }, 900, now)).not.toThrow();
    expect(() => verifyCallbackSignature(key, { t: String(now + 1), sign: sign(now + 1).toUpperCase() }, 900, now)).not.toThrow();
    for (const [body, why] of [
      [{ t: now - 1, sign: sign(now - 1) }, /expired/],
      [{ t: now + 1, sign: sign(now + 2) }, /does not match/],
      [{ t: now + 1.5, sign: sign(now + 1.5) }, /required/],
      [{ t: now + 1, sign: 42 }, /required/],
    ] as const) {
      expect(() => verifyCallbackSignature(key, body, 900, now)).toThrow(expect.objectContaining({ status: 403, message: expect.stringMatching(why) }));
    }
    expect(() => verifyCallbackSignature(undefined, { t: now + 1, sign: sign(now + 1) }, 900, now)).toThrow(/LIVE_CALLBACK_KEY is not set/);
  });

  it('reads the event of a stream of this bizid and ignores the rest with a reason', () => {
    expect(readStreamEvent({ event_type: 1, stream_id: '8888_r_u', sequence: 123456789012, event_time: 1700000000 }, '8888')).toEqual({
      streamId: '8888_r_u',
      sequence: '123456789012',
      started: true,
      eventTime: 1700000000,
    });
    expect(readStreamEvent({ event_type: '0', stream_id: '8888_r_u', sequence: 'abc' }, '8888', 5)).toMatchObject({ started: false, eventTime: 5 });
    expect(readStreamEvent({ event_type: 0, stream_id: '9999_r_u', sequence: '1' }, '8888')).toEqual({ ignored: 'not a stream of this bizid' });
    expect(readStreamEvent({ event_type: 0, stream_id: '8888_r_u', bizid: '9999', sequence: '1' }, '8888')).toEqual({ ignored: 'not a stream of this bizid' });
    expect(readStreamEvent({ event_type: 0, stream_id: '8888_r u', sequence: '1' }, '8888')).toEqual({ ignored: 'not a stream of this bizid' });
    expect(readStreamEvent({ event_type: 200, stream_id: '8888_r_u', sequence: '1' }, '8888')).toEqual({ ignored: 'event_type 200' });
    expect(readStreamEvent({ event_type: 0, stream_id: '8888_r_u', sequence: 'a:b' }, '8888')).toEqual({ ignored: 'no usable sequence' });
  });

  it('derives a mix session id Cloud API accepts from any room id', () => {
    expect(mixSessionId('show_1')).toBe('room_show_1');
    expect(mixSessionId('a.b@c:d-e')).toMatch(/^room_[0-9a-f]{40}$/);
    expect(mixSessionId('a.b@c:d-e')).not.toBe(mixSessionId('a.b@c:d-f'));
  });
});
