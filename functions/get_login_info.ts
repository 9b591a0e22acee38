/** utils/get_login_info: an IM UserSig for a user (who may ask depends on AUTH_MODE). */
import { z } from 'zod';
import { loginInfoUser } from '../shared/auth/identity';
import { utilsEndpoint, scfHandler } from '../shared/http/endpoint';
import { issueUserSig } from '../shared/sign/usersig';

export const endpoint = utilsEndpoint({
  action: 'get_login_info',
  input: z.object({ userID: z.string().optional() }),
  async run({ input, req, rt }) {
    const userID = await loginInfoUser(rt, req, input.userID);
    const { sdkAppId, secretKey, accountType } = rt.config.im;
    return { userID, sdkAppID: sdkAppId, accType: accountType, userSig: issueUserSig({ sdkAppId, secretKey }, userID) };
  },
});

export const main_handler = scfHandler(endpoint);
