/** webrtc_room/get_login_info: the TRTC (IM) UserSig of the caller (docs/protocol.md §7). */
import { z } from 'zod';
import { webrtcActor, type WebrtcCaller } from '../shared/auth/webrtc-identity';
import { AppError, Code } from '../shared/errors';
import { randomUserId } from '../shared/sign/live-urls';
import { scfHandler } from '../shared/http/endpoint';
import { webrtcEndpoint } from '../shared/http/webrtc-endpoint';
import { userId, webrtcToken } from '../shared/http/fields';
import { issueUserSig } from '../shared/sign/usersig';

export const endpoint = webrtcEndpoint({
  action: 'get_login_info',
  summary: "The caller's UserSig for TRTC: for the body userID (AUTH_MODE demo; generated when omitted) or the proof's user (jwt: the JWT or a session token is required, code 7 without); AUTH_MODE=off: disabled (5005), as utils/get_login_info; a user under a service ban: 7.",
  codes: [Code.AUTH_FAILED, Code.FEATURE_DISABLED],
  // Who gets a UserSig follows AUTH_MODE as utils/get_login_info does: with off the app issues them itself.
  async identify(rt, req, input) {
    if (rt.config.authMode === 'off') throw new AppError(Code.FEATURE_DISABLED, 'get_login_info is disabled on this service (AUTH_MODE=off)', 403);
    return webrtcActor(rt, req, input as WebrtcCaller);
  },
  output: z.object({ userID: z.string(), sdkAppID: z.number().int(), accountType: z.string().describe('IM_ACCOUNT_TYPE (legacy: the PC web client hands it to the TRTC web SDK and webim, as webrtc_server_java answers it)'), userSig: z.string() }),
  input: z.object({
    // webrtc_server_java's protocol: "userID may be empty; empty is assigned at random".
    userID: z.preprocess((value) => (value === '' ? undefined : value), userId.optional()).describe('the user to sign for (generated when omitted or "" in AUTH_MODE demo)'),
    token: webrtcToken,
  }),
  async run({ rt, req, actor }) {
    if (actor?.sessionId) await rt.rooms.checkSession(actor, 'webrtc_room'); // a session token: it must still be live
    else await rt.ipLimiter.hit(req.sourceIp); // no room script counts this request's quota
    const userID = actor?.userId ?? randomUserId();
    await rt.rooms.refuseServiceBanned(userID);
    const { sdkAppId, secretKey, accountType } = rt.config.im;
    return { userID, sdkAppID: sdkAppId, accountType, userSig: issueUserSig({ sdkAppId, secretKey }, userID) };
  },
});

export const main_handler = scfHandler(endpoint);
