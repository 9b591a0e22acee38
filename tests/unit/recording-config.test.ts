/**
 * RECORD_* variables (docs/recording.md): recording is off without
 * RECORD_STORAGE, each missing or malformed variable is named, and the
 * settings reach the recording client as Tencent's parameters.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config';
import { CLOUD_ENV } from '../support/harness';

const base = { ...CLOUD_ENV, REDIS_URL: 'redis://127.0.0.1:6379' };
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('recording configuration', () => {
  it('is off without RECORD_STORAGE, and RECORD_ROOM_TYPES alone names what is missing', () => {
    expect(loadConfig(base).recording).toBeUndefined();
    expect(problems({ RECORD_ROOM_TYPES: 'live_room' })).toEqual([expect.stringMatching(/^RECORD_STORAGE is required when RECORD_ROOM_TYPES is set/)]);
  });

  it('reads VOD with automatic room types and the TRTC recording callback key', () => {
    const config = loadConfig({ ...base, RECORD_STORAGE: 'vod', RECORD_ROOM_TYPES: 'live_room, webrtc_room', RECORD_VOD_SUBAPP_ID: '1500000001', TRTC_RECORDING_CALLBACK_KEY: 'abc123' });
    expect(config.recording).toMatchObject({ storage: { kind: 'vod', subAppId: 1500000001 } });
    expect(config.trtc.recordingCallbackKey).toBe('abc123');
    expect([...config.recording!.autoTypes].sort()).toEqual(['live_room', 'webrtc_room']);
  });

  it('names every COS variable that is missing, and each malformed one', () => {
    expect(problems({ RECORD_STORAGE: 'cos', RECORD_COS_BUCKET: 'media-1250000000' })).toEqual([
      'RECORD_COS_REGION is required when RECORD_STORAGE=cos',
      'RECORD_COS_SECRET_ID is required when RECORD_STORAGE=cos',
      'RECORD_COS_SECRET_KEY is required when RECORD_STORAGE=cos',
    ]);
    const named = problems({ RECORD_STORAGE: 'tape', RECORD_ROOM_TYPES: 'live_room,radio', RECORD_COS_BUCKET: 'no appid', TRTC_RECORDING_CALLBACK_KEY: 'has spaces in it' });
    expect(named.map((p) => p.split(' ')[0]).sort()).toEqual(['RECORD_COS_BUCKET', 'RECORD_ROOM_TYPES', 'RECORD_STORAGE', 'TRTC_RECORDING_CALLBACK_KEY']);
    expect(named.join('\n')).not.toContain('has spaces in it');
  });

  it('reads a complete COS setting', () => {
    const config = loadConfig({ ...base, RECORD_STORAGE: 'cos', RECORD_COS_BUCKET: 'media-1250000000', RECORD_COS_REGION: 'ap-guangzhou', RECORD_COS_SECRET_ID: 'AKIDcos0123456789abcdef', RECORD_COS_SECRET_KEY: 'cosSecret0123456789abcdef' });
    expect(config.recording?.storage).toEqual({ kind: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou', secretId: 'AKIDcos0123456789abcdef', secretKey: 'cosSecret0123456789abcdef', prefix: 'recordings' });
  });
});
