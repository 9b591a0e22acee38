/**
 * UserSig v2: the IM login ticket. Issued by Tencent's `tls-sig-api-v2` and
 * verified here (the library only issues), following docs/protocol.md §4.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Tencent's signer and zlib, loaded at the first UserSig issued or checked:
 * every bundle carries this module (the IM client signs as admin) but most
 * requests sign nothing, and both cost a cold start a few ms to evaluate.
 */
export const tlsSigApi = () => (require('tls-sig-api-v2') as typeof import('tls-sig-api-v2')).Api;
const inflateSync: typeof import('node:zlib').inflateSync = (...args) => (require('node:zlib') as typeof import('node:zlib')).inflateSync(...args);

export interface UserSigKey {
  sdkAppId: number;
  secretKey: string;
}

/** Default validity of a UserSig handed to clients: 30 days. */
export const USER_SIG_TTL_SECONDS = 30 * 24 * 3600;

export function issueUserSig(key: UserSigKey, userId: string, ttlSeconds = USER_SIG_TTL_SECONDS): string {
  const TlsSigApi = tlsSigApi();
  return new TlsSigApi(key.sdkAppId, key.secretKey).genUserSig(userId, ttlSeconds);
}

export type UserSigVerdict = { ok: true; expiresAt: number } | { ok: false; reason: string };

interface SigDoc {
  'TLS.ver'?: unknown;
  'TLS.identifier'?: unknown;
  'TLS.sdkappid'?: unknown;
  'TLS.time'?: unknown;
  'TLS.expire'?: unknown;
  'TLS.userbuf'?: unknown;
  'TLS.sig'?: unknown;
}

/** Tencent's URL-safe base64 variant uses `*`, `-`, `_` for `+`, `/`, `=`. */
function decodeTencentBase64(text: string): Buffer {
  return Buffer.from(text.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '='), 'base64');
}

// A UserSig inflates to a few hundred bytes; the cap stops a zip bomb.
const MAX_INFLATED_BYTES = 4096;

/**
 * Checks a UserSig for `userId` against our app id and secret key. Never throws:
 * every failure is a verdict with a reason a client can act on.
 */
export function verifyUserSig(key: UserSigKey, userId: string, userSig: string, nowSeconds = Math.floor(Date.now() / 1000)): UserSigVerdict {
  // Typed as string, but it comes from a request body: keep the never-throws promise.
  if (typeof userSig !== 'string' || userSig.length === 0 || userSig.length > 2048) return { ok: false, reason: 'userSig has an invalid length' };
  let doc: SigDoc;
  try {
    doc = JSON.parse(inflateSync(decodeTencentBase64(userSig), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8')) as SigDoc;
  } catch {
    return { ok: false, reason: 'userSig is not a valid ticket (decode failed)' };
  }
  if (doc === null || typeof doc !== 'object') return { ok: false, reason: 'userSig is not a valid ticket' };
  const { 'TLS.identifier': identifier, 'TLS.sdkappid': sdkAppId, 'TLS.time': time, 'TLS.expire': expire, 'TLS.sig': sig } = doc;
  if (typeof identifier !== 'string' || typeof sig !== 'string' || !Number.isInteger(time) || !Number.isInteger(expire) || !Number.isInteger(sdkAppId)) {
    return { ok: false, reason: 'userSig is missing fields' };
  }
  if (sdkAppId !== key.sdkAppId) return { ok: false, reason: 'userSig was issued for another sdkAppID' };
  if (identifier !== userId) return { ok: false, reason: 'userSig was issued for another userID' };
  const expiresAt = (time as number) + (expire as number);
  if (expiresAt <= nowSeconds) return { ok: false, reason: 'userSig has expired' };

  // A ticket with a userbuf is a TRTC PrivateMapKey (room entry rights), not a login ticket.
  if (doc['TLS.userbuf'] !== undefined) return { ok: false, reason: 'userSig carries TLS.userbuf (a PrivateMapKey is not a login ticket)' };
  const signed = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`;
  const expected = createHmac('sha256', key.secretKey).update(signed).digest();
  const given = Buffer.from(sig, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'userSig signature does not match' };
  }
  return { ok: true, expiresAt };
}
