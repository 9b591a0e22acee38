/**
 * webrtc_room endpoints (docs/protocol.md §7): `POST /weapp/webrtc_room/{action}`,
 * the caller established per AUTH_MODE by shared/auth/webrtc-identity.ts,
 * one SCF function `webrtc_<action>` each (the actions share names with the
 * stream protocol's). Its own module so only these bundles carry the JWT library.
 */
import type { z } from 'zod';
import { webrtcActor, type WebrtcCaller } from '../auth/webrtc-identity';
import type { EndpointDef, IdentityScope, RoomScope } from './endpoint';

/** `identify` may be given to add a rule before the common one (get_login_info: AUTH_MODE=off). */
export function webrtcEndpoint<S extends z.ZodType, O extends z.ZodObject>(
  def: Omit<EndpointDef<S, O, RoomScope & IdentityScope>, 'scope' | 'method' | 'auth' | 'functionName'>,
): EndpointDef<S, O, RoomScope & IdentityScope> {
  return {
    scope: 'webrtc_room',
    method: 'POST',
    auth: 'identity',
    functionName: `webrtc_${def.action}`,
    identify: (rt, req, input) => webrtcActor(rt, req, input as WebrtcCaller),
    ...def,
  };
}
