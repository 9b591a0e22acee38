/**
 * Who may obtain an IM UserSig from `get_login_info` (AUTH_MODE):
 *  - demo: anyone, for any userID (the old demo behaviour; the local default);
 *  - jwt:  only a caller with `Authorization: Bearer <JWT>` from the customer's
 *          own identity system; the userID is the token's `sub`;
 *  - off:  nobody (the app issues UserSigs itself).
 */
import type { JWTVerifyGetKey } from 'jose';
import { AppError, Code, authFailed, invalidParam } from '../errors';
import type { HttpRequest } from '../http/event';
import { USER_ID, USER_ID_RULE } from '../ids';
import type { Runtime } from '../services';
import { randomUserId } from '../sign/live-urls';

/**
 * The IM administrator's UserSig signs IM REST calls as admin, so nobody may
 * obtain one or sign in as that account (nor as AUTH_RESERVED_USER_IDS).
 * Compared case-insensitively: an id differing only in case is refused too.
 */
export function refuseReserved(rt: Runtime, userId: string): void {
  if (rt.config.reservedUserIds.has(userId.toLowerCase())) throw authFailed('this userID is reserved', { result: 'reserved userID' });
}

/**
 * A JWT must expire, and no token may be good for longer than AUTH_JWT_MAX_AGE:
 * its lifetime (exp - iat, or exp - now without iat) and, with iat, its age.
 */
function checkLifetime(payload: { exp?: number; iat?: number }, maxAgeSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number') throw new Error('"exp" claim is required');
  const issued = typeof payload.iat === 'number' ? payload.iat : now;
  if (payload.exp - issued > maxAgeSeconds) throw new Error(`token lifetime exceeds AUTH_JWT_MAX_AGE (${maxAgeSeconds} s)`);
  if (now - issued > maxAgeSeconds) throw new Error(`token is older than AUTH_JWT_MAX_AGE (${maxAgeSeconds} s)`);
}

let jwks: { url: string; keys: JWTVerifyGetKey } | undefined;

function verificationKey(rt: Runtime, jose: typeof import('./jwt-verify')): Uint8Array | JWTVerifyGetKey {
  const { secret, jwksUrl } = rt.config.jwt;
  if (secret) return new TextEncoder().encode(secret);
  if (!jwks || jwks.url !== jwksUrl) jwks = { url: jwksUrl!, keys: jose.createRemoteJWKSet(new URL(jwksUrl!)) };
  return jwks.keys;
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export const bearerToken = (req: HttpRequest): string | undefined => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];

async function jwtSubject(rt: Runtime, req: HttpRequest): Promise<string> {
  const token = bearerToken(req);
  if (!token) throw authFailed('Authorization: Bearer <JWT> is required');
  return verifiedJwtSubject(rt, token);
}

/** The subject of a JWT that passes every AUTH_MODE=jwt check; code 7 otherwise. */
export async function verifiedJwtSubject(rt: Runtime, jwt: string): Promise<string> {
  try {
    // jose is loaded at the first JWT: only AUTH_MODE=jwt deployments verify one (esbuild keeps the import lazy).
    const jose = await import('./jwt-verify');
    const key = verificationKey(rt, jose);
    const options = {
      algorithms: rt.config.jwt.secret ? ['HS256'] : ['RS256', 'ES256', 'PS256', 'EdDSA'],
      issuer: rt.config.jwt.issuer,
      audience: rt.config.jwt.audience,
      requiredClaims: ['exp'],
    };
    const { jwtVerify } = jose;
    const { payload } = key instanceof Uint8Array ? await jwtVerify(jwt, key, options) : await jwtVerify(jwt, key, options);
    checkLifetime(payload, rt.config.jwt.maxAgeSeconds);
    if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) throw new Error('sub is not a valid userID');
    return payload.sub;
  } catch (error) {
    throw authFailed(`JWT rejected: ${error instanceof Error ? error.message : 'invalid'}`);
  }
}

export async function loginInfoUser(rt: Runtime, req: HttpRequest, requested: string | undefined): Promise<string> {
  if (rt.config.authMode === 'off') {
    throw new AppError(Code.FEATURE_DISABLED, 'get_login_info is disabled on this service (AUTH_MODE=off)', 403);
  }
  if (rt.config.authMode === 'jwt') {
    const subject = await jwtSubject(rt, req);
    if (requested && requested !== subject) throw authFailed('userID differs from the JWT subject');
    refuseReserved(rt, subject);
    return subject;
  }
  if (!requested) return randomUserId();
  if (!USER_ID.test(requested)) throw invalidParam('userID', `must be ${USER_ID_RULE}`);
  refuseReserved(rt, requested);
  return requested;
}
