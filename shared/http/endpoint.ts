/**
 * One endpoint = one definition: its route, method, input and output schemas,
 * who may call it, the result codes it answers, and one `run`. `scfHandler`
 * turns a definition into an SCF `main_handler`; the router and the local
 * gateway reuse the same pipeline. The same definitions are the single source
 * of the API reference (shared/http/openapi.ts -> /openapi.json, docs/api.md)
 * and of the typed client (client/).
 */
import type { z } from 'zod';
import { ConfigError, STREAM_ROOM_TYPES, WEBRTC_ROOM, type RoomType } from '../config';
import { AppError, Code, authFailed, badRequest } from '../errors';
import { log, logTrusted } from '../log';
import { runtime, type Runtime } from '../runtime';
import { countHeartbeat, countRequest, flushMetrics } from '../metrics/recorder';
import type { Actor } from '../auth/token';
import { toHttpRequest, newRequestId, type HttpRequest, type ScfContext } from './event';
import { corsHeaders, errorEnvelope, respond, successEnvelope, type ScfResponse } from './response';

/** Bodies are tiny JSON documents; anything larger is refused before parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What every endpoint's `run` receives. */
export interface Call<Input> {
  req: HttpRequest;
  input: Input;
  rt: Runtime;
}

/** Room endpoints also get the `{roomType}` path segment. */
export interface RoomScope {
  roomType: RoomType;
}

/**
 * Endpoints with auth 'session' also get the caller, from `userID` + `token`
 * in the query. Its token is verified; the session itself is checked by the
 * store call the endpoint makes (inside the same Lua script), or by
 * `rooms.checkSession`.
 */
export interface SessionScope {
  actor: Actor;
}

/**
 * Endpoints with auth 'identity' (webrtc_room) get the caller as
 * shared/auth/webrtc-identity.ts establishes it: undefined only for an
 * anonymous demo caller that sent no `userID`.
 */
export interface IdentityScope {
  actor: Actor | undefined;
}

/** What `run` answers: the output's fields (the envelope adds code, message, requestId); nothing when it has none. */
export type RunResult<O extends z.ZodObject> = {} extends z.input<O> ? z.input<O> | void : z.input<O>;

export interface EndpointDef<S extends z.ZodType = z.ZodType, O extends z.ZodObject = z.ZodObject, Scope extends object = {}> {
  action: string;
  /** One line for the API reference. */
  summary: string;
  /**
   * `room`: /weapp/{roomType}/{action} (the stream room types); `utils`,
   * `callbacks`, `webrtc_room`: /weapp/<scope>/{action} (webrtc_room's run
   * gets roomType 'webrtc_room').
   */
  scope: 'room' | 'utils' | 'callbacks' | 'webrtc_room';
  method: 'GET' | 'POST';
  /** Room types served by a `room` endpoint (default: the three stream types). */
  roomTypes?: readonly RoomType[];
  /**
   * `signed`: a platform callback that verifies its own signature (no session, no IP quota);
   * `identity`: webrtc_room's identity rules (body userID in AUTH_MODE demo, else a proof; see webrtc-identity.ts).
   */
  auth: 'session' | 'none' | 'signed' | 'identity';
  /** The SCF function serving it in per-function mode and its console event's name (default: the action). */
  functionName?: string;
  /**
   * auth 'identity': establishes the caller from the request and its parsed
   * input (webrtcEndpoint sets shared/auth/webrtc-identity.ts; kept out of
   * this module so other bundles do not carry the JWT library).
   */
  identify?: (rt: Runtime, req: HttpRequest, input: unknown) => Promise<Actor | undefined>;
  /**
   * Where the input comes from (default: body for POST, query for GET);
   * 'query+body': the query's fields, and the JSON body's for what the query lacks.
   */
  inputFrom?: 'body' | 'query' | 'query+body';
  input: S;
  /** The success answer's own fields. */
  output: O;
  /**
   * Result codes this endpoint answers besides 0 and those every endpoint may
   * answer (1, 404, 405, 413, 429, 500, 5002, 5003; 7 with auth 'session').
   */
  codes: readonly Code[];
  run(call: Call<z.output<S>> & Scope): Promise<RunResult<O>>;
}

/**
 * Any endpoint definition, as the router, the handler pipeline and the
 * reference generator list them. zod's object types are invariant in their
 * shape, so a typed definition is not an EndpointDef<ZodType, ZodObject>; this
 * view keeps every field and widens only the schemas and `run`'s input.
 */
export type Endpoint = Omit<EndpointDef, 'input' | 'output' | 'run'> & {
  input: z.ZodType;
  output: z.ZodType;
  /** The handler passes `roomType` to room endpoints and `actor` to session endpoints (their Scope). */
  run(call: Call<unknown> & Partial<RoomScope & SessionScope>): Promise<unknown>;
};

type Defaults = 'scope' | 'method' | 'auth';

/** A room endpoint: `POST /weapp/{roomType}/{action}` for a signed-in user (or, with auth 'none', anyone: login). */
export function roomEndpoint<S extends z.ZodType, O extends z.ZodObject>(
  def: Omit<EndpointDef<S, O, RoomScope>, Defaults> & { auth: 'none' },
): EndpointDef<S, O, RoomScope>;
export function roomEndpoint<S extends z.ZodType, O extends z.ZodObject>(
  def: Omit<EndpointDef<S, O, RoomScope & SessionScope>, Defaults>,
): EndpointDef<S, O, RoomScope & SessionScope>;
export function roomEndpoint<S extends z.ZodType, O extends z.ZodObject>(
  def: Omit<EndpointDef<S, O, RoomScope & SessionScope>, Defaults> & { auth?: 'none' },
): EndpointDef<S, O, RoomScope & SessionScope> {
  return { scope: 'room', method: 'POST', auth: 'session', ...def };
}

/** A utility endpoint: `GET /weapp/utils/{action}`, no session. */
export const utilsEndpoint = <S extends z.ZodType, O extends z.ZodObject>(def: Omit<EndpointDef<S, O>, Defaults>): EndpointDef<S, O> => ({
  scope: 'utils',
  method: 'GET',
  auth: 'none',
  ...def,
});

/** The SCF function (and console event) name of an endpoint. */
export const functionNameOf = (def: { action: string; functionName?: string }): string => def.functionName ?? def.action;

/** A callback of a Tencent platform: `POST /weapp/callbacks/{action}`, authenticated by its own signature. */
export const callbackEndpoint = <S extends z.ZodType, O extends z.ZodObject>(def: Omit<EndpointDef<S, O>, Defaults>): EndpointDef<S, O> => ({
  scope: 'callbacks',
  method: 'POST',
  auth: 'signed',
  ...def,
});

export type ScfHandler = (event: unknown, context?: ScfContext) => Promise<ScfResponse>;

let coldStart = true;

/** The endpoints that are a member's heartbeat (counted as heartbeats when accepted). */
const HEARTBEATS = new Set(['pusher_heartbeat', 'heartbeat']);

/** Used until the configuration (and its origin list) is known. */
const OPEN_CORS = corsHeaders(['*'], undefined);

const ROUTE = /^\/?(?:.*\/)?weapp\/([^/?]+)\/([^/?]+)\/?$/;

/** `{roomType}` and `{action}` from path parameters or the path itself. */
export function routeOf(req: HttpRequest): { group?: string; action?: string } {
  const match = ROUTE.exec(req.path);
  return { group: req.pathParams.roomType ?? match?.[1], action: req.pathParams.action ?? match?.[2] };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : 'input';
  return `${field} ${issue.message}`;
}

function parseJsonBody(body: string | undefined): Record<string, unknown> {
  if (body === undefined || body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badRequest('body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * 'query+body' endpoints (login) were query-only on the old server, which
 * ignored whatever body a client sent; a body that is not a JSON object is
 * still ignored there rather than refused.
 */
function lenientJsonBody(body: string | undefined): Record<string, unknown> {
  try {
    return parseJsonBody(body);
  } catch {
    return {};
  }
}

function parseInput(def: Endpoint, req: HttpRequest): unknown {
  const source = def.inputFrom ?? (def.method === 'GET' ? 'query' : 'body');
  const raw = source === 'query' ? req.query : source === 'body' ? parseJsonBody(req.body) : { ...lenientJsonBody(req.body), ...req.query };
  const result = def.input.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // Business-level length limits keep their protocol code (10); all else is a malformed request.
    if (issue.code === 'custom' && (issue as { params?: { code?: number } }).params?.code === Code.VALUE_TOO_LONG) {
      throw new AppError(Code.VALUE_TOO_LONG, describeIssue(issue));
    }
    throw new AppError(Code.INVALID_PARAM, describeIssue(issue), 400);
  }
  return result.data;
}

function resolveRoomType(def: Endpoint, group: string | undefined): RoomType | undefined {
  if (def.scope !== 'room') {
    if (group !== undefined && group !== def.scope) throw new AppError(Code.NOT_FOUND, `${def.action} is served under /weapp/${def.scope}/`, 404);
    return def.scope === WEBRTC_ROOM ? WEBRTC_ROOM : undefined;
  }
  const allowed = def.roomTypes ?? STREAM_ROOM_TYPES;
  if (!group || !(allowed as readonly string[]).includes(group)) {
    throw new AppError(Code.NOT_FOUND, `unknown room type "${group ?? ''}" for ${def.action}: use one of ${allowed.join(', ')}`, 404);
  }
  return group as RoomType;
}

/**
 * Runs one request through an endpoint: event -> request -> checks -> run ->
 * envelope, and one log line. Never throws.
 */
export async function handle(def: Endpoint | undefined, event: unknown, context: ScfContext = {}, routed?: HttpRequest): Promise<ScfResponse> {
  const started = performance.now();
  const cold = coldStart;
  coldStart = false;
  // SCF always passes one; a random id is made only when nothing names the request.
  let requestId = context.request_id || '';
  let cors: Readonly<Record<string, string>> = OPEN_CORS;
  let status = 200;
  let envelope: Record<string, unknown>;
  let user: string | undefined;
  let roomType: string | undefined;
  let rt: Runtime | undefined;
  try {
    const req = routed ?? toHttpRequest(event, context, def ? { method: def.method, path: defaultPath(def) } : {});
    requestId = req.requestId;
    rt = runtime();
    cors = corsHeaders(rt.config.corsOrigins, req.headers.origin);
    if (req.method === 'OPTIONS') return respond(204, { code: Code.OK, message: 'ok' }, requestId, cors);
    const route = routeOf(req);
    if (!def || (route.action !== undefined && route.action !== def.action)) {
      throw new AppError(Code.NOT_FOUND, `unknown action "${route.action ?? ''}"`, 404);
    }
    if (req.method !== def.method) throw new AppError(Code.METHOD_NOT_ALLOWED, `${def.action} accepts ${def.method} only`, 405);
    if (req.body !== undefined && Buffer.byteLength(req.body) > MAX_BODY_BYTES) {
      throw new AppError(Code.BODY_TOO_LARGE, `body is larger than ${MAX_BODY_BYTES} bytes`, 413);
    }
    const type = resolveRoomType(def, route.group);
    roomType = type;
    user = req.query.userID;
    const input = parseInput(def, req);
    let actor: Actor | undefined;
    if (def.auth === 'none') await rt.ipLimiter.hit(req.sourceIp);
    else if (def.auth === 'session') {
      actor = rt.sessions.actor(req.query.userID, req.query.token, req.sourceIp);
      const bodyUser = (input as { userID?: unknown }).userID;
      if (bodyUser !== undefined && bodyUser !== actor.userId) throw authFailed('body userID differs from the signed-in user');
    } else if (def.auth === 'identity') {
      if (!def.identify) throw new Error(`${def.action}: auth 'identity' without identify`);
      actor = await def.identify(rt, req, input);
      user = actor?.userId;
    }
    const result = await def.run({ req, input, rt, roomType: type, actor });
    envelope = successEnvelope(result as Record<string, unknown> | void);
  } catch (error) {
    requestId ||= newRequestId();
    ({ status, envelope } = failure(error, requestId));
  }
  const ms = performance.now() - started;
  const endpoint = def?.action ?? 'unknown';
  logTrusted({
    event: 'request',
    endpoint,
    roomType,
    user,
    code: envelope.code,
    status,
    ms: Math.round(ms * 100) / 100,
    requestId,
    ...(cold ? { coldStart: true } : {}),
  });
  countRequest(endpoint, roomType, envelope.code as number, ms / 1000);
  if (envelope.code === Code.OK && HEARTBEATS.has(endpoint)) countHeartbeat(roomType ?? '-');
  // Not awaited: the write is on the socket before the response leaves (shared/metrics/recorder.ts).
  if (rt) void flushMetrics(rt);
  return respond(status, envelope, requestId, cors);
}

function failure(error: unknown, requestId: string): { status: number; envelope: Record<string, unknown> } {
  if (error instanceof AppError) return { status: error.status, envelope: errorEnvelope(error) };
  if (error instanceof ConfigError) {
    log({ event: 'config_error', requestId, problems: error.problems });
    return { status: 500, envelope: { code: Code.CONFIG_INVALID, message: error.message } };
  }
  log({ event: 'internal_error', requestId, error: error instanceof Error ? error.stack : String(error) });
  return { status: 500, envelope: { code: Code.INTERNAL, message: `internal error (request ${requestId})` } };
}

/** A console test event without a path is taken as addressed to this endpoint. */
function defaultPath(def: Endpoint): string | undefined {
  return def.scope === 'room' ? undefined : `/weapp/${def.scope}/${def.action}`;
}

/** The SCF entry point for one endpoint (`exports.main_handler`). */
export const scfHandler =
  (def: Endpoint): ScfHandler =>
  (event, context) =>
    handle(def, event, context);
