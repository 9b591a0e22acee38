/**
 * router: every route of the service behind one Function URL (Tencent no
 * longer creates API Gateway triggers for new SCF functions), built from the
 * same endpoint definitions as the one-function-per-endpoint deployment.
 * GET /openapi.json answers the API reference generated from this list
 * (shared/http/openapi.ts), so a definition added here is documented too.
 * `/admin/...` (the admin API and dashboard, shared/admin/) has its own pipeline.
 */
import { type Endpoint, handle, routeOf, type ScfHandler } from '../shared/http/endpoint';
import { toHttpRequest, type HttpRequest, type ScfContext } from '../shared/http/event';
import type { ScfResponse } from '../shared/http/response';
import { isOpenApiRequest, openApiResponse } from '../shared/http/openapi';
import { isAdminPath } from '../shared/admin/path';
import { endpoint as addAudience } from './add_audience';
import { endpoint as addPusher } from './add_pusher';
import { endpoint as checkConfig } from './check_config';
import { endpoint as createRoom } from './create_room';
import { endpoint as deleteAudience } from './delete_audience';
import { endpoint as deletePusher } from './delete_pusher';
import { endpoint as destroyRoom } from './destroy_room';
import { endpoint as getAudiences } from './get_audiences';
import { endpoint as getCustomInfo } from './get_custom_info';
import { endpoint as getLoginInfo } from './get_login_info';
import { endpoint as getPushUrl } from './get_push_url';
import { endpoint as getPushers } from './get_pushers';
import { endpoint as getRoomList } from './get_room_list';
import { endpoint as getTestPushurl } from './get_test_pushurl';
import { endpoint as getTestRtmpaccurl } from './get_test_rtmpaccurl';
import { endpoint as liveStream } from './live_stream';
import { endpoint as login } from './login';
import { endpoint as logout } from './logout';
import { endpoint as mergeStream } from './merge_stream';
import { endpoint as pusherHeartbeat } from './pusher_heartbeat';
import { endpoint as setCustomField } from './set_custom_field';
import { endpoint as trtcCallback } from './trtc';
import { endpoint as trtcRecordingCallback } from './trtc_recording';
import { endpoint as webrtcCreateRoom } from './webrtc_create_room';
import { endpoint as webrtcEnterRoom } from './webrtc_enter_room';
import { endpoint as webrtcGetLoginInfo } from './webrtc_get_login_info';
import { endpoint as webrtcGetRoomList } from './webrtc_get_room_list';
import { endpoint as webrtcGetRoomMembers } from './webrtc_get_room_members';
import { endpoint as webrtcHeartbeat } from './webrtc_heartbeat';
import { endpoint as webrtcQuitRoom } from './webrtc_quit_room';

export const ENDPOINTS: readonly Endpoint[] = [
  login, logout, getPushUrl, createRoom, destroyRoom, getRoomList, getPushers, addPusher, deletePusher, pusherHeartbeat,
  mergeStream, getCustomInfo, setCustomField, addAudience, deleteAudience, getAudiences,
  getLoginInfo, getTestPushurl, getTestRtmpaccurl, checkConfig, liveStream,
  webrtcGetLoginInfo, webrtcGetRoomList, webrtcCreateRoom, webrtcEnterRoom, webrtcQuitRoom, webrtcHeartbeat, webrtcGetRoomMembers, trtcCallback,
  trtcRecordingCallback,
];

const byRoute = new Map(ENDPOINTS.map((e) => [`${e.scope}/${e.action}`, e]));
/** Path segments that name a scope of their own; any other is a stream room type (`room`). */
const FIXED_SCOPES = new Set(ENDPOINTS.filter((e) => e.scope !== 'room').map((e) => e.scope));

/**
 * One request, already read (from an SCF event below, or straight off a socket
 * by the HTTP server, shared/http/server.ts): the API reference, the admin
 * plane, or the endpoint its path names. The one routing table of the service.
 */
export async function routeRequest(req: HttpRequest, context: ScfContext = {}): Promise<ScfResponse> {
  if (isOpenApiRequest(req.method, req.path)) return openApiResponse(ENDPOINTS);
  // The admin plane (its routes' schemas, the dashboard page, the metrics
  // exposition) loads at the first /admin request, not with the router: few
  // router containers ever serve one, and building it was ~40% of the router's
  // require() (issue 25). esbuild turns the import() into a load on first call.
  if (isAdminPath(req.path)) return (await import('../shared/admin/handler')).handleAdmin(undefined, context, req);
  const { group, action } = routeOf(req);
  const def = byRoute.get(`${group !== undefined && FIXED_SCOPES.has(group as Endpoint['scope']) ? group : 'room'}/${action}`);
  return handle(def, undefined, context, req);
}

export const main_handler: ScfHandler = async (event, context = {}) => {
  let req;
  try {
    req = toHttpRequest(event, context);
  } catch {
    return handle(undefined, event, context); // answers the "unrecognised event" envelope
  }
  return routeRequest(req, context);
};
