/**
 * verifyToken remembers tokens that verified; what it answers must not change:
 * an altered token, another user's token or another secret's token is refused
 * whether or not the genuine one was seen before.
 */
import { describe, expect, it } from 'vitest';
import { newToken, verifyToken } from '../../shared/auth/token';

const SECRET = 'a-session-secret-of-at-least-32-chars!';

describe('session token check', () => {
  it('accepts a genuine token again (remembered) and still refuses any alteration', () => {
    const { token, sessionId } = newToken(SECRET, 'alice');
    for (let i = 0; i < 3; i++) expect(verifyToken(SECRET, 'alice', token, '10.0.0.1')).toEqual({ userId: 'alice', sessionId, clientIp: '10.0.0.1', __verified: true });
    // A different caller address is the caller's, not the cache's.
    expect(verifyToken(SECRET, 'alice', token, '10.0.0.2')?.clientIp).toBe('10.0.0.2');
    // The MAC's first character (all six bits are MAC bits).
    const flipped = token.slice(0, 23) + (token[23] === 'A' ? 'B' : 'A') + token.slice(24);
    expect(verifyToken(SECRET, 'alice', flipped)).toBeUndefined();
    const otherSession = (token.startsWith('A') ? 'B' : 'A') + token.slice(1);
    expect(verifyToken(SECRET, 'alice', otherSession)).toBeUndefined();
    expect(verifyToken(SECRET, 'bob', token)).toBeUndefined();
    expect(verifyToken(SECRET, 'alic', token)).toBeUndefined();
    expect(verifyToken(`${SECRET}-rotated`, 'alice', token)).toBeUndefined();
    // Back on the first secret the genuine token verifies again.
    expect(verifyToken(SECRET, 'alice', token)?.sessionId).toBe(sessionId);
  });

  it('refuses the other spellings of the MAC\'s last character (its 4 unused bits)', () => {
    const { token } = newToken(SECRET, 'carol');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = token.at(-1)!;
    // Characters whose top 2 bits match the genuine one decode to the same 16 bytes.
    const twins = [...alphabet].filter((ch) => ch !== last && alphabet.indexOf(ch) >> 4 === alphabet.indexOf(last) >> 4);
    expect(twins).toHaveLength(15);
    for (const ch of twins) expect(verifyToken(SECRET, 'carol', token.slice(0, -1) + ch)).toBeUndefined();
    expect(verifyToken(SECRET, 'carol', token)).toBeDefined();
  });

  it('keeps working past the bound of remembered tokens', () => {
    const tokens = Array.from({ length: 10_050 }, (_, i) => ({ user: `u${i}`, ...newToken(SECRET, `u${i}`) }));
    for (const t of tokens) expect(verifyToken(SECRET, t.user, t.token)?.sessionId).toBe(t.sessionId);
    for (const t of tokens.slice(0, 20)) expect(verifyToken(SECRET, t.user, t.token)?.sessionId).toBe(t.sessionId);
    expect(verifyToken(SECRET, 'u1', tokens[0]!.token)).toBeUndefined();
  });
});
