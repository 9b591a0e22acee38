/** utils/get_login_info: an IM UserSig for a user (who may ask depends on AUTH_MODE). */
import { z } from 'zod';
import { loginInfoUser } from '../shared/auth/identity';
import { Code } from '../shared/errors';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { issueUserSig } from '../shared/sign/usersig';

export const endpoint = utilsEndpoint({
  action: 'get_login_info',
  summary: 'Who may sign in and with what: a UserSig for userID (AUTH_MODE demo), for the JWT subject (jwt), or refused (off: 5005; a user under a service ban: 7).',
  output: z.object({ userID: z.string(), sdkAppID: z.number().int(), accType: z.string(), userSig: z.string() }),
  codes: [Code.AUTH_FAILED, Code.FEATURE_DISABLED],
  input: z.object({ userID: z.string().optional().describe('the user to sign for (AUTH_MODE demo; generated when omitted)') }),
  async run({ input, req, rt }) {
    const userID = await loginInfoUser(rt, req, input.userID);
    await rt.rooms.refuseServiceBanned(userID);
    const { sdkAppId, secretKey, accountType } = rt.config.im;
    return { userID, sdkAppID: sdkAppId, accType: accountType, userSig: issueUserSig({ sdkAppId, secretKey }, userID) };
  },
});

export const main_handler = scfHandler(endpoint);
