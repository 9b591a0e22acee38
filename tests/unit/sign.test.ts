import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { AppError, Code } from '../../shared/errors';
import {
  type LiveSigning,
  accelerateUrl,
  mixedPlayUrl,
  parsePushUrl,
  pushUrl,
  randomRoomId,
  randomUserId,
  signedQuery,
  testRtmpAccUrl,
  testUrls,
  txSecret,
  txTimeFor,
  userStreamName,
  isOwnStream,
} from '../../shared/sign/live-urls';
import { issueUserSig, verifyUserSig } from '../../shared/sign/usersig';

const live: LiveSigning = {
  bizid: '8888',
  pushSecretKey: 'e12c46f2612d5106e2034781ab261ca3',
  pushDomain: 'push.example.com',
  playDomain: 'play.example.com',
  validTimeSeconds: 3600,
};
const NOW = 1_700_000_000;
const EXPIRY_HEX = (NOW + 3600).toString(16).toUpperCase();
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Runs `fn`, expecting an invalidParam on pushURL; returns the message for finer checks. */
function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe(Code.INVALID_PARAM);
    expect((e as AppError).message).toMatch(/^pushURL /);
    return (e as AppError).message;
  }
  throw new Error('expected parsePushUrl to throw');
}

describe('txSecret / txTime', () => {
  it('matches the published Tencent vector', () => {
    expect(txSecret('e12c46f2612d5106e2034781ab261ca3', 'test', '5C271099')).toBe('f85a2ab363fe4deaffef9754d79da6fe');
  });

  it('txTime is the UPPERCASE hex expiry', () => {
    expect(txTimeFor(0x5c270000, 0x1099)).toBe('5C271099');
    expect(txTimeFor(NOW, 3600)).toBe(EXPIRY_HEX);
    expect(txTimeFor(NOW, 3600)).toMatch(/^[0-9A-F]+$/);
  });

  it('signedQuery carries bizid, the signature and the expiry', () => {
    expect(signedQuery(live, 'abc', NOW)).toBe(`bizid=8888&txSecret=${md5(live.pushSecretKey + 'abc' + EXPIRY_HEX)}&txTime=${EXPIRY_HEX}`);
  });
});

describe('push URL', () => {
  it('has the protocol shape', () => {
    const url = pushUrl(live, '8888_alice_1a2b', NOW);
    const sig = md5(`${live.pushSecretKey}8888_alice_1a2b${EXPIRY_HEX}`);
    expect(url).toBe(`rtmp://push.example.com/live/8888_alice_1a2b?bizid=8888&txSecret=${sig}&txTime=${EXPIRY_HEX}`);
  });

  it('stream names follow get_push_url, with ids encoded so no two (room, user) pairs share one', () => {
    expect(userStreamName(live, 'alice')).toMatch(/^8888_alice_[0-9a-f]{4}$/);
    expect(userStreamName(live, 'alice', 'room_1')).toBe('8888_r_room-5f1_alice');
    expect(userStreamName(live, 'rtb', 'party_team')).not.toBe(userStreamName(live, 'team_rtb', 'party'));
    expect(userStreamName(live, 'a.b@c-d', 'x:y')).toBe('8888_r_x-3ay_a-2eb-40c-2dd');
    expect(parsePushUrl(live, pushUrl(live, userStreamName(live, 'alice', 'room_1'), NOW)).subId).toBe('r_room-5f1_alice');
  });

  it('a stream belongs to a user in a room only by exact match', () => {
    expect(isOwnStream(live, userStreamName(live, 'rtb', 'party_team'), 'party_team', 'rtb')).toBe(true);
    expect(isOwnStream(live, userStreamName(live, 'team_rtb', 'party'), 'party_team', 'rtb')).toBe(false);
    expect(isOwnStream(live, userStreamName(live, 'rtb', 'party_team'), 'party', 'rtb')).toBe(false);
    expect(isOwnStream(live, userStreamName(live, 'rtb'), 'anywhere', 'rtb')).toBe(true);
    expect(isOwnStream(live, userStreamName(live, 'rtb'), 'anywhere', 'rt')).toBe(false);
    // A user named like a room stream's tail cannot claim it as a plain stream.
    expect(isOwnStream(live, userStreamName(live, 'beef', 'alice'), 'x', 'alice')).toBe(false);
  });

  it('random ids have the expected shape', () => {
    expect(randomUserId()).toMatch(/^user_[0-9a-f]{8}_[0-9a-f]{4}$/);
    expect(randomRoomId()).toMatch(/^room_[0-9a-f]{8}_[0-9a-f]{4}$/);
    expect(randomRoomId()).not.toBe(randomRoomId());
  });
});

describe('parsePushUrl', () => {
  const good = pushUrl(live, '8888_alice_1a2b', NOW);

  it('round-trips a push URL we issued', () => {
    expect(parsePushUrl(live, good)).toEqual({ streamId: '8888_alice_1a2b', subId: 'alice_1a2b' });
    expect(parsePushUrl(live, pushUrl(live, userStreamName(live, 'bob'), NOW)).subId).toMatch(/^bob_[0-9a-f]{4}$/);
  });

  it('accepts an expired push URL (clients reuse them)', () => {
    expect(parsePushUrl(live, pushUrl(live, '8888_alice_1a2b', 1000)).subId).toBe('alice_1a2b');
  });

  it('accepts rtmps and an uppercase-hex txSecret', () => {
    expect(parsePushUrl(live, good.replace('rtmp://', 'rtmps://')).streamId).toBe('8888_alice_1a2b');
    const upper = good.replace(/txSecret=([0-9a-f]+)/, (_, s: string) => `txSecret=${s.toUpperCase()}`);
    expect(parsePushUrl(live, upper).subId).toBe('alice_1a2b');
  });

  it('rejects a URL without ?', () => {
    expect(rejection(() => parsePushUrl(live, 'rtmp://push.example.com/live/8888_alice_1a2b'))).toMatch(/query/);
  });

  it('rejects a foreign bizid even when correctly signed by its key', () => {
    const other = { ...live, bizid: '9999' };
    expect(rejection(() => parsePushUrl(live, pushUrl(other, '9999_alice_1a2b', NOW)))).toMatch(/bizid/);
    // Prefix must be "{bizid}_", not merely "{bizid}".
    expect(rejection(() => parsePushUrl(live, pushUrl(live, '88889_alice', NOW)))).toMatch(/bizid/);
  });

  it('rejects a bad or missing signature', () => {
    const tampered = good.replace(/txSecret=[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0'));
    expect(tampered).not.toBe(good);
    expect(rejection(() => parsePushUrl(live, tampered))).toMatch(/signature/);
    // Signed with another key.
    expect(rejection(() => parsePushUrl(live, pushUrl({ ...live, pushSecretKey: 'other' }, '8888_alice_1a2b', NOW)))).toMatch(/signature/);
    // Signature of another stream, moved onto this one.
    const moved = good.replace('8888_alice_1a2b', '8888_mallory_1a2b');
    expect(rejection(() => parsePushUrl(live, moved))).toMatch(/signature/);
    // txTime changed (e.g. to extend the expiry).
    expect(rejection(() => parsePushUrl(live, good.replace(`txTime=${EXPIRY_HEX}`, 'txTime=FFFFFFFF')))).toMatch(/signature/);
    expect(rejection(() => parsePushUrl(live, good.replace(/&txSecret=[0-9a-f]+/, '')))).toMatch(/txSecret/);
    expect(rejection(() => parsePushUrl(live, good.replace(/&txTime=[0-9A-F]+/, '')))).toMatch(/txTime/);
    expect(rejection(() => parsePushUrl(live, 'rtmp://push.example.com/live/8888_alice?bizid=8888'))).toMatch(/txSecret/);
  });

  it('rejects empty, too long and non-string input', () => {
    rejection(() => parsePushUrl(live, ''));
    rejection(() => parsePushUrl(live, undefined));
    rejection(() => parsePushUrl(live, 42));
    const long = `${good}&pad=${'x'.repeat(1024)}`;
    expect(rejection(() => parsePushUrl(live, long))).toMatch(/1024/);
  });

  it('rejects other schemes, empty subId and bad stream characters', () => {
    expect(rejection(() => parsePushUrl(live, good.replace('rtmp://', 'http://')))).toMatch(/rtmp/);
    expect(rejection(() => parsePushUrl(live, pushUrl(live, '8888_', NOW)))).toMatch(/empty/);
    expect(rejection(() => parsePushUrl(live, pushUrl(live, '8888_a%2Fb', NOW)))).toMatch(/stream name/);
    expect(rejection(() => parsePushUrl(live, pushUrl(live, '8888_a b', NOW)))).toMatch(/stream name/);
    expect(rejection(() => parsePushUrl(live, 'rtmp://push.example.com/live/?txSecret=x&txTime=1'))).toMatch(/stream name/);
  });
});

describe('play URLs', () => {
  it('accelerate URL is signed over {bizid}_{subId} on the play domain', () => {
    const sig = md5(`${live.pushSecretKey}8888_alice_1a2b${EXPIRY_HEX}`);
    expect(accelerateUrl(live, 'alice_1a2b', NOW)).toBe(`rtmp://play.example.com/live/8888_alice_1a2b?bizid=8888&txSecret=${sig}&txTime=${EXPIRY_HEX}`);
  });

  it('mixed play URL is the https flv of the creator stream', () => {
    expect(mixedPlayUrl(live, 'alice_1a2b')).toBe('https://play.example.com/live/8888_alice_1a2b.flv');
  });

  it('test URLs all point at one random user stream', () => {
    const urls = testUrls(live, NOW);
    expect(Object.keys(urls).sort()).toEqual(['url_play_acc', 'url_play_flv', 'url_play_hls', 'url_play_rtmp', 'url_push']);
    const m = /^rtmp:\/\/push\.example\.com\/live\/(8888_user-5f[0-9a-f]{8}-5f[0-9a-f]{4}_[0-9a-f]{4})\?/.exec(urls.url_push);
    expect(m).not.toBeNull();
    const name = m![1]!;
    expect(parsePushUrl(live, urls.url_push).streamId).toBe(name);
    expect(urls.url_play_flv).toBe(`http://play.example.com/live/${name}.flv`);
    expect(urls.url_play_rtmp).toBe(`rtmp://play.example.com/live/${name}`);
    expect(urls.url_play_hls).toBe(`http://play.example.com/live/${name}.m3u8`);
    expect(urls.url_play_acc).toBe(`rtmp://play.example.com/live/${name}?${signedQuery(live, name, NOW)}`);
    expect(testUrls(live, NOW).url_push).not.toBe(urls.url_push);
  });

  it('test rtmpacc URL is the signed play URL of {bizid}_testclock_rtmpacc, as the old server signed it', () => {
    const sig = md5(`${live.pushSecretKey}8888_testclock_rtmpacc${EXPIRY_HEX}`);
    expect(testRtmpAccUrl(live, NOW)).toBe(`rtmp://play.example.com/live/8888_testclock_rtmpacc?bizid=8888&txSecret=${sig}&txTime=${EXPIRY_HEX}`);
  });
});

describe('UserSig', () => {
  const { Api } = require('tls-sig-api-v2') as typeof import('tls-sig-api-v2');
  const secretKey = '5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e';
  const key = { sdkAppId: 1400000000, secretKey };
  const now = () => Math.floor(Date.now() / 1000);
  const sig = new Api(1400000000, secretKey).genUserSig('alice', 86400);

  const escape = (b64: string) => b64.replace(/\+/g, '*').replace(/\//g, '-').replace(/=/g, '_');
  const unescape = (s: string) => s.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=');
  const decode = (s: string) => JSON.parse(inflateSync(Buffer.from(unescape(s), 'base64')).toString('utf8')) as Record<string, unknown>;
  const encode = (doc: unknown) => escape(deflateSync(Buffer.from(JSON.stringify(doc))).toString('base64'));

  function rejected(verdict: ReturnType<typeof verifyUserSig>, reason: RegExp) {
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  }

  it('verifies a ticket issued by tls-sig-api-v2', () => {
    const verdict = verifyUserSig(key, 'alice', sig);
    expect(verdict).toEqual({ ok: true, expiresAt: (decode(sig)['TLS.time'] as number) + 86400 });
    expect(verifyUserSig(key, 'alice', issueUserSig(key, 'alice')).ok).toBe(true);
  });

  it('rejects another user, app id or key', () => {
    rejected(verifyUserSig(key, 'bob', sig), /userID/);
    rejected(verifyUserSig({ ...key, sdkAppId: 1400000001 }, 'alice', sig), /sdkAppID/);
    rejected(verifyUserSig({ ...key, secretKey: secretKey.replace(/^5/, '6') }, 'alice', sig), /signature/);
  });

  it('rejects expired tickets', () => {
    rejected(verifyUserSig(key, 'alice', sig, now() + 10 * 86400), /expired/);
    const short = new Api(1400000000, secretKey).genUserSig('alice', 1);
    expect(verifyUserSig(key, 'alice', short).ok).toBe(true);
    rejected(verifyUserSig(key, 'alice', short, now() + 5), /expired/);
  });

  it('rejects a ticket with one signature byte changed', () => {
    const doc = decode(sig);
    const raw = Buffer.from(doc['TLS.sig'] as string, 'base64');
    raw[5] = raw[5]! ^ 0x01;
    const forged = encode({ ...doc, 'TLS.sig': raw.toString('base64') });
    expect(forged).not.toBe(sig);
    rejected(verifyUserSig(key, 'alice', forged), /signature/);
    // Re-encoding the untouched doc must still verify, so the failure above is the byte flip.
    expect(verifyUserSig(key, 'alice', encode(doc)).ok).toBe(true);
  });

  it('rejects a ticket whose signed fields were edited', () => {
    const doc = decode(sig);
    rejected(verifyUserSig(key, 'alice', encode({ ...doc, 'TLS.expire': 10 * 86400 }), now() + 5 * 86400), /signature/);
    rejected(verifyUserSig(key, 'bob', encode({ ...doc, 'TLS.identifier': 'bob' })), /signature/);
  });

  it('returns ok:false for garbage without throwing', () => {
    for (const junk of ['', 'not-a-sig', '!!!!', 'x'.repeat(3000), encode('a string'), encode(null), encode({ 'TLS.identifier': 'alice' })]) {
      expect(() => verifyUserSig(key, 'alice', junk)).not.toThrow();
      expect(verifyUserSig(key, 'alice', junk).ok).toBe(false);
    }
    for (const junk of [undefined, null, 42, {}]) {
      expect(verifyUserSig(key, 'alice', junk as unknown as string).ok).toBe(false);
    }
  });

  it('refuses a zip bomb (inflates beyond 4 KiB)', () => {
    const bomb = escape(deflateSync(Buffer.from(`{"TLS.identifier":"alice","pad":"${'a'.repeat(100_000)}"}`)).toString('base64'));
    expect(bomb.length).toBeLessThan(2048);
    rejected(verifyUserSig(key, 'alice', bomb), /decode/);
  });
});

describe('play signing key', () => {
  it('signs play URLs with LIVE_PLAY_SECRET_KEY when set, so a listed accelerate URL cannot be used to push', () => {
    const base = { bizid: '8888', pushSecretKey: 'e12c46f2612d5106e2034781ab261ca3', pushDomain: 'p', playDomain: 'q', validTimeSeconds: 60 };
    const shared = accelerateUrl(base, 'alice_ab12', 1000).split('?')[1];
    const separate = accelerateUrl({ ...base, playSecretKey: '0123456789abcdef0123456789abcdef' }, 'alice_ab12', 1000).split('?')[1];
    const push = pushUrl(base, '8888_alice_ab12', 1000).split('?')[1];
    expect(shared).toBe(push);
    expect(separate).not.toBe(push);
    expect(separate).toMatch(/^bizid=8888&txSecret=[0-9a-f]{32}&txTime=[0-9A-F]+$/);
  });
});
