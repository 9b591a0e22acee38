/** login: proves identity with an IM UserSig and opens a session (PROTOCOL.md §5). */
import { z } from 'zod';
import { refuseReserved } from '../shared/auth/identity';
import { authFailed } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { verifyUserSig } from '../shared/sign/usersig';

// Old clients send missing parameters expecting code 7, not 1: every field is checked in run().
const optional = z.string().optional();

export const endpoint = roomEndpoint({
  action: 'login',
  auth: 'none',
  inputFrom: 'query',
  input: z.object({ sdkAppID: optional, accountType: optional, userID: optional, userSig: optional }),
  async run({ input, rt }) {
    const { sdkAppID, userID, userSig } = input;
    if (!sdkAppID || !userID || !userSig) throw authFailed('sdkAppID, userID and userSig are required', { result: 'missing parameters' });
    if (!/^[A-Za-z0-9_@.-]{1,32}$/.test(userID)) throw authFailed('userID is not a valid IM account', { result: 'invalid userID' });
    refuseReserved(rt, userID);
    if (sdkAppID !== String(rt.config.im.sdkAppId)) throw authFailed('sdkAppID does not match', { result: 'sdkAppID does not match' });
    const verdict = verifyUserSig({ sdkAppId: rt.config.im.sdkAppId, secretKey: rt.config.im.secretKey }, userID, userSig);
    if (!verdict.ok) throw authFailed(verdict.reason, { result: verdict.reason });
    return { userID, token: await rt.sessions.open(userID) };
  },
});

export const main_handler = scfHandler(endpoint);
