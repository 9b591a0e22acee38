/**
 * Signed live-streaming URLs (docs/protocol.md §4). Pure functions: every input,
 * including the signing keys and the clock, is passed in, so handlers stay
 * testable and nothing here reads configuration.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidParam } from '../errors';

/** What is needed to sign push / low-latency play URLs of one live app. */
export interface LiveSigning {
  bizid: string;
  pushSecretKey: string;
  /**
   * Play anti-leech key. Without it play URLs are signed with the push key, as
   * the old servers did; but then a listed accelerate URL also authorises
   * pushing to that stream (same key, stream and txTime), so set it in production.
   */
  playSecretKey?: string;
  pushDomain: string;
  playDomain: string;
  /** How long a freshly signed URL stays valid (its `txTime` = now + this). */
  validTimeSeconds: number;
}

const nowInSeconds = () => Math.floor(Date.now() / 1000);
const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** Lowercase hex MD5 of `pushSecretKey + streamName + txTime` (Tencent's anti-leech signature). */
export function txSecret(pushSecretKey: string, streamName: string, txTimeHex: string): string {
  return createHash('md5').update(pushSecretKey + streamName + txTimeHex, 'utf8').digest('hex');
}

/** Expiry (`now + validTime`) as UPPERCASE hex, the form Tencent expects in `txTime`. */
export function txTimeFor(nowSeconds: number, validTimeSeconds: number): string {
  return (Math.floor(nowSeconds) + Math.floor(validTimeSeconds)).toString(16).toUpperCase();
}

/** `bizid=..&txSecret=..&txTime=..` for `streamName`, valid from `nowSeconds`. */
export function signedQuery(live: LiveSigning, streamName: string, nowSeconds = nowInSeconds(), key = live.pushSecretKey): string {
  const txTime = txTimeFor(nowSeconds, live.validTimeSeconds);
  return `bizid=${live.bizid}&txSecret=${txSecret(key, streamName, txTime)}&txTime=${txTime}`;
}

/** Signed RTMP push URL: `rtmp://{pushDomain}/live/{streamName}?bizid=..&txSecret=..&txTime=..`. */
export function pushUrl(live: LiveSigning, streamName: string, nowSeconds = nowInSeconds()): string {
  return `rtmp://${live.pushDomain}/live/${streamName}?${signedQuery(live, streamName, nowSeconds)}`;
}

/** Signed RTMP play URL on the play domain (low-latency playback needs the same signature as a push). */
function signedPlayUrl(live: LiveSigning, streamName: string, nowSeconds: number): string {
  return `rtmp://${live.playDomain}/live/${streamName}?${signedQuery(live, streamName, nowSeconds, live.playSecretKey ?? live.pushSecretKey)}`;
}

/**
 * An id as one part of a stream name: letters and digits stay, every other
 * character becomes `-` and its two hex digits (`_` -> `-5f`, `:` -> `-3a`).
 * So a part never contains `_`, the separator, the mapping is one-to-one, and
 * names use only Tencent's stream alphabet (letters, digits, `_`, `-`).
 * Ids are validated ASCII (fields.ts), so two hex digits suffice.
 */
export function streamPart(id: string): string {
  return id.replace(/[^A-Za-z0-9]/g, (c) => `-${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const ROOM_STREAM_TAG = 'r';
const RANDOM_SUFFIX = /^[0-9a-f]{4}$/;

/**
 * Stream name for a user's push URL (`get_push_url`). In a room:
 * `{bizid}_r_{room}_{user}` (four parts); without one: `{bizid}_{user}_{4 random
 * hex}` (three parts; the suffix lets one user push several streams). Parts are
 * streamPart-encoded, so no two (room, user) pairs, and no room stream and
 * plain stream, ever share a name.
 */
export function userStreamName(live: LiveSigning, userId: string, roomId?: string): string {
  // PROTOCOL names a room stream `{roomId}_{userId}`; the `{bizid}_` prefix stays
  // because add_pusher only accepts streams of this bizid (§4 Fix), and the `r`
  // part keeps room streams apart from plain ones.
  if (roomId !== undefined) return `${live.bizid}_${ROOM_STREAM_TAG}_${streamPart(roomId)}_${streamPart(userId)}`;
  return `${live.bizid}_${streamPart(userId)}_${randomHex(2)}`;
}

/**
 * Ownership by exact match: `streamName` is `userId`'s stream for `roomId`, or
 * one of `userId`'s plain streams (get_push_url without a room, as old clients ask).
 */
export function isOwnStream(live: LiveSigning, streamName: string, roomId: string, userId: string): boolean {
  if (streamName === userStreamName(live, userId, roomId)) return true;
  const plainPrefix = `${live.bizid}_${streamPart(userId)}_`;
  return streamName.startsWith(plainPrefix) && RANDOM_SUFFIX.test(streamName.slice(plainPrefix.length));
}

// Characters Tencent allows in a stream name; anything else (`/`, `%`, `?`, …)
// would make the ids we derive ambiguous or unsafe to embed in other URLs.
const STREAM_CHARS = /^[A-Za-z0-9_\-.@]+$/;
const MAX_PUSH_URL_CHARS = 1024;

/**
 * Extracts `streamId` / `subId` from a client's push URL and proves it is a
 * signed stream of this bizid. Throws `invalidParam('pushURL', …)` otherwise
 * (the old server crashed on URLs without `?` or with a foreign bizid).
 *
 * An expired `txTime` is accepted on purpose: clients keep and reuse a push URL
 * after it was issued, and the signature still proves we issued it. Tencent's
 * edge enforces the expiry when the stream is actually pushed.
 */
export function parsePushUrl(live: LiveSigning, pushURL: unknown): { streamId: string; subId: string } {
  if (typeof pushURL !== 'string' || pushURL.length === 0 || pushURL.length > MAX_PUSH_URL_CHARS) {
    throw invalidParam('pushURL', `must be a non-empty string of at most ${MAX_PUSH_URL_CHARS} characters`);
  }
  if (!/^rtmps?:\/\//i.test(pushURL)) throw invalidParam('pushURL', 'must be an rtmp:// URL');
  const q = pushURL.indexOf('?');
  if (q < 0) throw invalidParam('pushURL', 'has no query string (txSecret/txTime)');

  const path = pushURL.slice(0, q);
  const streamId = path.slice(path.lastIndexOf('/') + 1);
  if (!STREAM_CHARS.test(streamId)) throw invalidParam('pushURL', 'has an invalid stream name');
  const prefix = `${live.bizid}_`;
  if (!streamId.startsWith(prefix)) throw invalidParam('pushURL', 'is not a stream of this app (bizid)');
  const subId = streamId.slice(prefix.length);
  if (subId.length === 0) throw invalidParam('pushURL', 'has an empty stream id');

  const query = new URLSearchParams(pushURL.slice(q + 1).split('#', 1)[0]);
  const givenSecret = query.get('txSecret');
  const txTime = query.get('txTime');
  if (!givenSecret || !txTime || !/^[0-9A-Fa-f]{1,16}$/.test(txTime)) {
    throw invalidParam('pushURL', 'is missing a valid txSecret/txTime');
  }
  // Sign over txTime exactly as given: that is the string the signature covered.
  const expected = Buffer.from(txSecret(live.pushSecretKey, streamId, txTime), 'utf8');
  const given = Buffer.from(givenSecret.toLowerCase(), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalidParam('pushURL', 'has an invalid signature');
  }
  return { streamId, subId };
}

/** Low-latency play URL of a pusher: stream `{bizid}_{subId}` on the play domain, signed like a push. */
export function accelerateUrl(live: LiveSigning, subId: string, nowSeconds = nowInSeconds()): string {
  return signedPlayUrl(live, `${live.bizid}_${subId}`, nowSeconds);
}

/** Public FLV URL of a room's mixed stream (named after its creator's stream). */
export function mixedPlayUrl(live: LiveSigning, subId: string): string {
  return `https://${live.playDomain}/live/${live.bizid}_${subId}.flv`;
}

/** Random `user_xxxxxxxx_xxxx` (lowercase hex) for test streams. */
export function randomUserId(): string {
  return `user_${randomHex(4)}_${randomHex(2)}`;
}

/** Random `room_xxxxxxxx_xxxx` (lowercase hex) for rooms created without an id. */
export function randomRoomId(): string {
  return `room_${randomHex(4)}_${randomHex(2)}`;
}

/** The five URLs of `utils/get_test_pushurl`, all for one fresh stream of a random user. */
export function testUrls(live: LiveSigning, nowSeconds = nowInSeconds()) {
  const name = userStreamName(live, randomUserId());
  return {
    url_push: pushUrl(live, name, nowSeconds),
    url_play_flv: `http://${live.playDomain}/live/${name}.flv`,
    url_play_rtmp: `rtmp://${live.playDomain}/live/${name}`,
    url_play_hls: `http://${live.playDomain}/live/${name}.m3u8`,
    url_play_acc: signedPlayUrl(live, name, nowSeconds),
  };
}

/** Signed play URL of the test stream `{bizid}_testclock_rtmpacc` (`utils/get_test_rtmpaccurl`), named as the old server named it. */
export function testRtmpAccUrl(live: LiveSigning, nowSeconds = nowInSeconds()): string {
  return signedPlayUrl(live, `${live.bizid}_testclock_rtmpacc`, nowSeconds);
}
