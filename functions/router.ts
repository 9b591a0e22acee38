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

/**
 * Every route, by the scope and action its path names, and the module that
 * defines it. A module (its schemas, its own dependencies) is run at its
 * route's first request, not when the router loads: a container mostly serves
 * a few routes, and building all thirty definitions was ~15% of the router's
 * require() (issue 25). esbuild keeps each module in the bundle (and in its
 * code cache) and turns the import() into running it on first call.
 * tests/integration/api-reference.test.ts checks each module's scope and action against its key.
 */
export const ROUTES: ReadonlyMap<string, () => Promise<{ endpoint: Endpoint }>> = new Map<string, () => Promise<{ endpoint: Endpoint }>>([
  ['room/login', () => import('./login')],
  ['room/logout', () => import('./logout')],
  ['room/get_push_url', () => import('./get_push_url')],
  ['room/create_room', () => import('./create_room')],
  ['room/destroy_room', () => import('./destroy_room')],
  ['room/get_room_list', () => import('./get_room_list')],
  ['room/get_pushers', () => import('./get_pushers')],
  ['room/add_pusher', () => import('./add_pusher')],
  ['room/delete_pusher', () => import('./delete_pusher')],
  ['room/pusher_heartbeat', () => import('./pusher_heartbeat')],
  ['room/merge_stream', () => import('./merge_stream')],
  ['room/get_custom_info', () => import('./get_custom_info')],
  ['room/set_custom_field', () => import('./set_custom_field')],
  ['room/add_audience', () => import('./add_audience')],
  ['room/delete_audience', () => import('./delete_audience')],
  ['room/get_audiences', () => import('./get_audiences')],
  ['utils/get_login_info', () => import('./get_login_info')],
  ['utils/get_test_pushurl', () => import('./get_test_pushurl')],
  ['utils/get_test_rtmpaccurl', () => import('./get_test_rtmpaccurl')],
  ['utils/check_config', () => import('./check_config')],
  ['callbacks/live_stream', () => import('./live_stream')],
  ['webrtc_room/get_login_info', () => import('./webrtc_get_login_info')],
  ['webrtc_room/get_room_list', () => import('./webrtc_get_room_list')],
  ['webrtc_room/create_room', () => import('./webrtc_create_room')],
  ['webrtc_room/enter_room', () => import('./webrtc_enter_room')],
  ['webrtc_room/quit_room', () => import('./webrtc_quit_room')],
  ['webrtc_room/heartbeat', () => import('./webrtc_heartbeat')],
  ['webrtc_room/get_room_members', () => import('./webrtc_get_room_members')],
  ['callbacks/trtc', () => import('./trtc')],
  ['callbacks/trtc_recording', () => import('./trtc_recording')],
]);

/** Path segments that name a scope of their own; any other is a stream room type (`room`). */
const FIXED_SCOPES = new Set([...ROUTES.keys()].map((key) => key.split('/')[0]!).filter((scope) => scope !== 'room'));

/** Definitions already loaded: after a route's first request, no promise to wait for. */
const loaded = new Map<string, Endpoint>();

async function endpointAt(key: string): Promise<Endpoint | undefined> {
  const known = loaded.get(key);
  if (known) return known;
  const load = ROUTES.get(key);
  if (!load) return undefined;
  const { endpoint } = await load();
  loaded.set(key, endpoint);
  return endpoint;
}

let everyEndpoint: Promise<readonly Endpoint[]> | undefined;

/** Every endpoint definition, in the routes' order (the API reference, the tests). */
export function loadEndpoints(): Promise<readonly Endpoint[]> {
  everyEndpoint ??= Promise.all([...ROUTES.keys()].map(async (key) => (await endpointAt(key))!));
  return everyEndpoint;
}

/**
 * One request, already read (from an SCF event below, or straight off a socket
 * by the HTTP server, shared/http/server.ts): the API reference, the admin
 * plane, or the endpoint its path names. The one routing table of the service.
 */
export async function routeRequest(req: HttpRequest, context: ScfContext = {}): Promise<ScfResponse> {
  if (isOpenApiRequest(req.method, req.path)) return openApiResponse(await loadEndpoints());
  // The admin plane (its routes' schemas, the dashboard page, the metrics
  // exposition) loads at the first /admin request, not with the router: few
  // router containers ever serve one, and building it was ~40% of the router's
  // require() (issue 25). esbuild turns the import() into a load on first call.
  if (isAdminPath(req.path)) return (await import('../shared/admin/handler')).handleAdmin(undefined, context, req);
  const { group, action } = routeOf(req);
  const def = await endpointAt(`${group !== undefined && FIXED_SCOPES.has(group) ? group : 'room'}/${action}`);
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
