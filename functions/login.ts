/** login: proves identity with an IM UserSig and opens a session (docs/protocol.md §5). */
import { z } from 'zod';
import { refuseReserved } from '../shared/auth/identity';
import { authFailed } from '../shared/errors';
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { text, userId } from '../shared/http/fields';
import { verifyUserSig } from '../shared/sign/usersig';

const required = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : what) });

export const endpoint = roomEndpoint({
  action: 'login',
  summary: 'Proves identity with an IM UserSig and opens a session: the token goes in the query of every other room action.',
  output: z.object({ userID: z.string(), token: z.string().describe('session token; send it as the query parameter token') }),
  codes: [Code.AUTH_FAILED],
  auth: 'none',
  // Old clients put these in the query; newer ones may send a JSON body.
  inputFrom: 'query+body',
  input: z.object({
    sdkAppID: z.union([z.number().int().min(0), text().regex(/^\d{1,20}$/)], required('must be the IM SDKAppID (digits)')).describe("the IM SDKAppID (get_login_info's sdkAppID); another app's is code 7"),
    accountType: z.union([z.string(), z.number()]).optional().describe('legacy, ignored'),
    userID: userId,
    userSig: text().min(1, 'is required').max(4096, 'is longer than 4096 characters').describe('the IM UserSig of userID (from get_login_info or your server); a wrong or expired one is code 7'),
  }),
  async run({ input, rt }) {
    const { sdkAppID, userID, userSig } = input;
    refuseReserved(rt, userID);
    // Well-formed but wrong credentials are an authentication failure (7), with the reason in `result` as the old server had it.
    if (String(sdkAppID) !== String(rt.config.im.sdkAppId)) throw authFailed('sdkAppID does not match', { result: 'sdkAppID does not match' });
    const verdict = verifyUserSig({ sdkAppId: rt.config.im.sdkAppId, secretKey: rt.config.im.secretKey }, userID, userSig);
    if (!verdict.ok) throw authFailed(verdict.reason, { result: verdict.reason });
    return { userID, token: await rt.sessions.open(userID) };
  },
});

export const main_handler = scfHandler(endpoint);
