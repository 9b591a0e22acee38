import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke, startHarness, type Harness } from '../support/harness';

const SECRET = 'jwt-secret-for-tests-0123456789abcdef';
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const jwt = (claims: { sub?: string; exp?: number }, secret = SECRET) => {
  const token = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub) token.setSubject(claims.sub);
  token.setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60);
  return token.sign(new TextEncoder().encode(secret));
};
const loginInfo = (headers: Record<string, string> = {}, query: Record<string, string> = {}) =>
  invoke('/weapp/utils/get_login_info', { headers, query });

describe('who may get a UserSig (AUTH_MODE)', () => {
  it('demo: anyone, for any valid userID; invalid ids are code 1', async () => {
    await h.reconfigure({ AUTH_MODE: 'demo' });
    expect((await loginInfo({}, { userID: 'mallory' })).body).toMatchObject({ code: 0, userID: 'mallory' });
    expect((await loginInfo({}, { userID: 'bad id!' })).body.code).toBe(1);
  });

  it('jwt: only a valid bearer token, and the userID is its subject', async () => {
    await h.reconfigure({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: SECRET });
    const good = await loginInfo({ authorization: `Bearer ${await jwt({ sub: 'alice' })}` });
    expect(good.body).toMatchObject({ code: 0, userID: 'alice' });
    const refused = await Promise.all([
      loginInfo(),
      loginInfo({ authorization: `Bearer ${await jwt({ sub: 'alice' }, 'another-secret-another-secret-0000')}` }),
      loginInfo({ authorization: `Bearer ${await jwt({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 10 })}` }),
      loginInfo({ authorization: `Bearer ${await jwt({})}` }),
      loginInfo({ authorization: `Bearer ${await jwt({ sub: 'alice' })}` }, { userID: 'bob' }),
      loginInfo({ authorization: 'Bearer not.a.jwt' }),
    ]);
    expect(refused.map((a) => a.body.code)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(refused[2]!.body.message).toMatch(/exp/);
  });

  it('jwt mode requires a secret or JWKS URL, named in the error', async () => {
    await expect(h.reconfigure({ AUTH_MODE: 'jwt' })).rejects.toThrow(/AUTH_JWT_SECRET or AUTH_JWKS_URL/);
  });

  it('off: the endpoint is disabled with 403', async () => {
    await h.reconfigure({ AUTH_MODE: 'off' });
    const answer = await loginInfo({}, { userID: 'alice' });
    expect([answer.status, answer.body.code]).toEqual([403, 5005]);
    await h.reconfigure({});
  });
});
