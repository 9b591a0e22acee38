/**
 * Who calls a webrtc_room endpoint (docs/protocol.md §7 "Fix (identity)").
 * webrtcroom.js sends no proof beyond the body's `userID`, so:
 *  - AUTH_MODE=demo: the body `userID` is taken as it is (anonymous demo use,
 *    as `get_login_info` signs anyone there); a proof, when sent, is checked;
 *  - AUTH_MODE=jwt or off: a proof is required, in `Authorization: Bearer
 *    <token>` or a body `token` field: a session token of this service (from
 *    `login`, with the body `userID` it was issued to) or, with jwt, the app's
 *    JWT (its `sub` is the user); a body `userID` that differs is code 7.
 * A session token's session is checked by the room script the endpoint runs
 * (helpers/admission.lua), as for every other room action; demo and JWT
 * identities carry `proof` instead, and the script skips the session check.
 */
import { authFailed, invalidParam } from '../errors';
import type { HttpRequest } from '../http/event';
import { USER_ID, USER_ID_RULE } from '../ids';
import type { Runtime } from '../services';
import { bearerToken, refuseReserved, verifiedJwtSubject } from './identity';
import { provenActor, verifyToken, type Actor } from './token';

/** Session tokens of this service (token.ts); anything else presented as proof is taken for a JWT. */
const SESSION_TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;

export interface WebrtcCaller {
  /** The body's `userID` (webrtcroom.js sends it on every call but get_room_list). */
  userID?: string;
  /** A proof sent in the body (newer clients); `Authorization: Bearer` is the other place. */
  token?: string;
}

/**
 * The caller, or undefined for an anonymous demo caller with no `userID`
 * (get_room_list, get_login_info: the endpoint decides). Throws code 7 when a
 * proof is missing where required, invalid, or for another user than `userID`.
 */
export async function webrtcActor(rt: Runtime, req: HttpRequest, caller: WebrtcCaller): Promise<Actor | undefined> {
  const proof = caller.token ?? bearerToken(req);
  const claimed = caller.userID;
  if (proof !== undefined) {
    if (SESSION_TOKEN.test(proof)) {
      if (!claimed) throw authFailed('userID is required with a session token (the user it was issued to)');
      refuseReserved(rt, claimed);
      const actor = verifyToken(rt.config.sessionSecret, claimed, proof, req.sourceIp);
      if (!actor) throw authFailed('token is not a valid session token of userID');
      return actor;
    }
    if (rt.config.authMode !== 'jwt') throw authFailed('token is not a session token of this service (log in first)');
    const subject = await verifiedJwtSubject(rt, proof);
    if (claimed !== undefined && claimed !== subject) throw authFailed('body userID differs from the JWT subject');
    refuseReserved(rt, subject);
    return provenActor(subject, req.sourceIp, 'jwt');
  }
  if (rt.config.authMode !== 'demo') {
    throw authFailed(`proof of identity is required (AUTH_MODE=${rt.config.authMode}): send Authorization: Bearer <token> or a token field`);
  }
  if (claimed === undefined) return undefined;
  if (!USER_ID.test(claimed)) throw invalidParam('userID', `must be ${USER_ID_RULE}`);
  refuseReserved(rt, claimed);
  return provenActor(claimed, req.sourceIp, 'demo');
}
