/**
 * The admin plane (`/admin/...`): the dashboard page and the admin API, served
 * by the router, the local gateway and the `admin` bundle (`npm run invoke`).
 * Its own small pipeline, because it differs from the room
 * protocol's on purpose: a bearer key instead of user sessions, REST paths
 * with parameters, GET/POST/DELETE, `cache-control: no-store`, no CORS (the
 * dashboard is served from the same origin; another origin's page gets no
 * answer it may read).
 *
 * ADMIN_API_KEY unset: every `/admin` path answers 404, the page included, so
 * a deployment without the key shows no admin plane at all. Set: the page
 * loads without the key (it asks for it); every other path needs
 * `Authorization: Bearer <key>` (401 without it or with a wrong one, before
 * the route is even looked up), then the route's method and input are checked.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { ConfigError } from '../config';
import { AppError, Code } from '../errors';
import { MAX_BODY_BYTES, type ScfHandler } from '../http/endpoint';
import { newRequestId, toHttpRequest, type HttpRequest, type ScfContext } from '../http/event';
import type { ScfResponse } from '../http/response';
import { log, logTrusted } from '../log';
import { runtime, type Runtime } from '../runtime';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './page';
import { ADMIN_ROUTES, TextAnswer, type AdminRoute } from './routes';
import { countAdminRequest, flushMetrics } from '../metrics/recorder';

import { isAdminPath } from './path';

export { isAdminPath };

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function json(status: number, envelope: Record<string, unknown>, requestId: string, extra: Record<string, string> = {}): ScfResponse {
  return {
    isBase64Encoded: false,
    statusCode: status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': requestId, ...SECURITY_HEADERS, ...extra },
    body: JSON.stringify({ ...envelope, requestId }),
  };
}

/**
 * The page with its headers. Its CSP (DASHBOARD_CSP: `default-src 'none'`,
 * the page's one inline script and style by SHA-256 hash, connect-src 'self')
 * is computed when `npm run admin:page` generates page.ts from the page's
 * source, so the hashes always match the string sent and no container hashes
 * at run time; tests/unit/admin-page.test.ts holds the two together.
 */
function dashboard(requestId: string): ScfResponse {
  return {
    isBase64Encoded: false,
    statusCode: 200,
    headers: { ...DASHBOARD_HEADERS, 'X-Frame-Options': 'DENY', 'X-Request-Id': requestId, ...SECURITY_HEADERS },
    body: DASHBOARD_HTML,
  };
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether the request carries `Authorization: Bearer <ADMIN_API_KEY>`. Both
 * sides are hashed first, so timingSafeEqual compares equal lengths and the
 * time taken says nothing about the key (not even its length).
 */
export function presentsAdminKey(authorization: string | undefined, key: string): boolean {
  const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '')?.[1];
  const matches = timingSafeEqual(digest(presented ?? ''), digest(key));
  return presented !== undefined && matches;
}

const unauthorized = () => new AppError(Code.UNAUTHORIZED, 'admin API key missing or wrong', 401);

/**
 * A path parameter as sent; `undefined` when it is not valid percent-encoding.
 * A leading `~` is dropped: room and user ids may be `.` or `..`, which every
 * URL parser (browsers' fetch, curl, gateways; `%2e%2e` too) turns into a dot
 * segment before the request leaves, so such an id is sent as `~.` / `~..`.
 * No room or user id holds `~`, so `~<id>` names the id for any id.
 */
function decodeSegment(segment: string): string | undefined {
  try {
    const value = decodeURIComponent(segment);
    return value.startsWith('~') ? value.slice(1) : value;
  } catch {
    return undefined;
  }
}

/** The route a path and method select, with its path parameters; 404 / 405 otherwise. */
export function matchRoute(path: string, method: string): { route: AdminRoute; params: Record<string, string> } {
  const segments = path.replace(/\/+$/, '').split('/').slice(1);
  const allowed: string[] = [];
  for (const route of ADMIN_ROUTES) {
    const pattern = route.path.split('/').slice(1);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const fits = pattern.every((part, i) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (!name) return part === segments[i];
      const value = decodeSegment(segments[i]!);
      if (value === undefined || value === '') return false;
      params[name] = value;
      return true;
    });
    if (!fits) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length > 0) throw new AppError(Code.METHOD_NOT_ALLOWED, `${path} accepts ${allowed.join(', ')} only`, 405, { allow: allowed });
  throw new AppError(Code.NOT_FOUND, `no admin route ${method} ${path} (docs/admin-api.md lists them)`, 404);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.length > 0 ? issue.path.join('.') : 'input'} ${issue.message}`;
}

/** The route's input: path parameters over the query (GET, DELETE) or the JSON body (POST). */
function parseInput(route: AdminRoute, req: HttpRequest, params: Record<string, string>): unknown {
  let source: Record<string, unknown> = { ...req.query };
  if (route.method === 'POST') {
    if (req.body !== undefined && Buffer.byteLength(req.body) > MAX_BODY_BYTES) {
      throw new AppError(Code.BODY_TOO_LARGE, `body is larger than ${MAX_BODY_BYTES} bytes`, 413);
    }
    source = {};
    if (req.body !== undefined && req.body.trim() !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(req.body);
      } catch {
        throw new AppError(Code.INVALID_PARAM, 'body is not valid JSON', 400);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError(Code.INVALID_PARAM, 'body must be a JSON object', 400);
      source = parsed as Record<string, unknown>;
    }
  }
  const result = route.input.safeParse({ ...source, ...params });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    // roomInfo over its byte limit keeps the protocol's code 10 (create_room's rule).
    const tooLong = issue.code === 'custom' && (issue as { params?: { code?: number } }).params?.code === Code.VALUE_TOO_LONG;
    throw new AppError(tooLong ? Code.VALUE_TOO_LONG : Code.INVALID_PARAM, describeIssue(issue), 400);
  }
  return result.data;
}

function failure(error: unknown, requestId: string): { status: number; envelope: Record<string, unknown> } {
  if (error instanceof AppError) return { status: error.status, envelope: { code: error.code, message: error.message, ...error.extra } };
  if (error instanceof ConfigError) {
    log({ event: 'config_error', requestId, problems: error.problems });
    return { status: 500, envelope: { code: Code.CONFIG_INVALID, message: error.message } };
  }
  log({ event: 'internal_error', requestId, error: error instanceof Error ? error.stack : String(error) });
  return { status: 500, envelope: { code: Code.INTERNAL, message: `internal error (request ${requestId})` } };
}

/**
 * One admin request: event -> key check -> route -> input -> run -> answer,
 * and one audit log line (route, outcome, source address; never the key).
 * Never throws.
 */
export async function handleAdmin(event: unknown, context: ScfContext = {}, routed?: HttpRequest): Promise<ScfResponse> {
  const started = performance.now();
  let requestId = context.request_id || '';
  let status = 200;
  let envelope: Record<string, unknown>;
  let routeName = 'unknown';
  let method = '';
  let path = '';
  let sourceIp = '';
  let allow: string | undefined;
  let runtimeReady = false;
  try {
    const req = routed ?? toHttpRequest(event, context, { method: 'GET', path: '/admin/rooms' });
    ({ requestId, method, path, sourceIp } = req);
    const rt: Runtime = runtime();
    runtimeReady = true;
    const key = rt.config.adminApiKey;
    if (!key || !isAdminPath(req.path)) throw new AppError(Code.NOT_FOUND, 'not found', 404);
    if (req.path === '/admin' || req.path === '/admin/') {
      if (req.method !== 'GET') throw new AppError(Code.METHOD_NOT_ALLOWED, 'the dashboard page accepts GET only', 405, { allow: ['GET'] });
      routeName = 'dashboard';
      logTrusted({ event: 'admin_request', route: routeName, method, path, code: 0, status: 200, sourceIp, requestId });
      return dashboard(requestId);
    }
    if (!presentsAdminKey(req.headers.authorization, key)) throw unauthorized();
    const { route, params } = matchRoute(req.path, req.method);
    routeName = route.name;
    const input = parseInput(route, req, params);
    const result = await route.run({ input, rt, req });
    if (result instanceof TextAnswer) {
      logTrusted({ event: 'admin_request', route: routeName, method, path, code: 0, status: 200, ms: Math.round((performance.now() - started) * 100) / 100, sourceIp, requestId });
      countAdminRequest(routeName, Code.OK, (performance.now() - started) / 1000);
      return { isBase64Encoded: false, statusCode: 200, headers: { 'Content-Type': result.contentType, 'X-Request-Id': requestId, ...SECURITY_HEADERS }, body: result.body };
    }
    envelope = { code: Code.OK, message: 'ok', ...(result ?? {}) };
  } catch (error) {
    requestId ||= newRequestId();
    ({ status, envelope } = failure(error, requestId));
    if (Array.isArray(envelope.allow)) {
      allow = (envelope.allow as string[]).join(', ');
      delete envelope.allow;
    }
  }
  logTrusted({
    event: 'admin_request',
    route: routeName,
    method,
    path,
    code: envelope.code,
    status,
    ms: Math.round((performance.now() - started) * 100) / 100,
    sourceIp,
    requestId,
  });
  countAdminRequest(routeName, envelope.code as number, (performance.now() - started) / 1000);
  if (runtimeReady) void flushMetrics(runtime());
  const headers: Record<string, string> = {};
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="admin"';
  if (allow) headers.Allow = allow;
  return json(status, envelope, requestId, headers);
}

/** The `admin` bundle's entry point (`npm run invoke -- admin`); the router calls handleAdmin itself. */
export const adminHandler: ScfHandler = (event, context) => handleAdmin(event, context);
