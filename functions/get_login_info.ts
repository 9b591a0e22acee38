/** utils/get_login_info: an IM UserSig for a user (who may ask depends on AUTH_MODE). */
import { z } from 'zod';
import { loginInfoUser } from '../shared/auth/identity';
import { defineEndpoint, scfHandler } from '../shared/http/endpoint';
import { issueUserSig } from '../shared/sign/usersig';

export const endpoint = defineEndpoint({
  action: 'get_login_info',
  scope: 'utils',
  method: 'GET',
  auth: 'none',
  input: z.object({ userID: z.string().optional() }),
  async run({ input, req, rt }) {
    const userID = await loginInfoUser(rt, req, input.userID);
    const { sdkAppId, secretKey, accountType } = rt.config.im;
    return { userID, sdkAppID: sdkAppId, accType: accountType, userSig: issueUserSig({ sdkAppId, secretKey }, userID) };
  },
});

export const main_handler = scfHandler(endpoint);
