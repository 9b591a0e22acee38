/**
 * Session tokens: `<session id>.<mac>`. The session id is 128 random bits and
 * names the session in Redis; the MAC binds it to the user, so a forged or
 * altered token is refused in constant time before Redis is asked.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Actor {
  readonly userId: string;
  readonly sessionId: string;
  /** Where the request came from, for per-IP quotas. */
  readonly clientIp: string;
  /**
   * Set when the identity was proven without a session (webrtc_room: AUTH_MODE
   * demo's body userID, or a verified JWT's subject); the room scripts then
   * skip the session check (helpers/admission.lua, common ARGV 11).
   */
  readonly proof?: 'demo' | 'jwt';
  /** Only verifyToken and provenActor make an Actor, so a store call cannot skip the identity check. */
  readonly __verified: true;
}

/**
 * An Actor whose identity the caller established without a session: only
 * shared/auth/webrtc-identity.ts calls this, after applying AUTH_MODE.
 */
export function provenActor(userId: string, clientIp: string, proof: 'demo' | 'jwt'): Actor {
  return { userId, sessionId: '', clientIp, proof, __verified: true };
}

const mac = (secret: string, userId: string, sessionId: string) =>
  createHmac('sha256', secret).update(`roomservice-session-v1\n${userId}\n${sessionId}`).digest().subarray(0, 16);

export function newToken(secret: string, userId: string): { token: string; sessionId: string } {
  const sessionId = randomBytes(16).toString('base64url');
  return { token: `${sessionId}.${mac(secret, userId, sessionId).toString('base64url')}`, sessionId };
}

const TOKEN_SHAPE = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

/**
 * Tokens that passed the MAC check, per user (the secret's, reset when the
 * secret changes). A signed-in client sends the same token with every
 * heartbeat, and the HMAC was the heaviest step of the heartbeat's own CPU
 * (createHmac ~2-3 us). Only a token that verified enters, keyed by its exact
 * text and user, so a forged or altered token always takes the full check;
 * the session itself is still confirmed by Redis on every call (revocation is
 * unaffected). Bounded: emptied when full.
 */
const VERIFIED_MAX = 10_000;
let verifiedSecret: string | undefined;
let verified = new Map<string, string>();

/** The Actor for a well-formed, authentic token of `userId`; undefined otherwise. Redis still decides whether it is live. */
export function verifyToken(secret: string, userId: string, token: string, clientIp = ''): Actor | undefined {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return undefined;
  const [, sessionId, given] = match as unknown as [string, string, string];
  if (secret !== verifiedSecret) {
    verifiedSecret = secret;
    verified = new Map();
  }
  // The token has a fixed length, so token + userId names one pair.
  const cacheKey = token + userId;
  if (verified.get(cacheKey) === sessionId) return { userId, sessionId, clientIp, __verified: true };
  const expected = mac(secret, userId, sessionId);
  const givenBytes = Buffer.from(given, 'base64url');
  if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) return undefined;
  // 22 base64url characters carry 132 bits for a 128-bit MAC: the last one has
  // 4 unused bits, so 16 spellings decode alike. Only the canonical one is the token.
  if (givenBytes.toString('base64url') !== given) return undefined;
  if (verified.size >= VERIFIED_MAX) verified = new Map();
  verified.set(cacheKey, sessionId);
  return { userId, sessionId, clientIp, __verified: true };
}
