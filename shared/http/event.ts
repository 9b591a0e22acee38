/**
 * SCF event adapters: an API Gateway trigger event, a Function URL event and a
 * plain console test object all become one HttpRequest.
 *
 * Console test object (what you paste into the SCF console "Test" box):
 *   { "path": "/weapp/multi_room/add_pusher",       // optional for single-endpoint functions
 *     "method": "POST",                             // optional; defaults to the endpoint's method
 *     "query": { "userID": "alice", "token": "..." },
 *     "body": { "roomID": "room_1" },               // object or JSON string
 *     "headers": { } }                              // optional
 */
import { randomBytes } from 'node:crypto';
import { AppError, Code } from '../errors';

export type EventKind = 'api-gateway' | 'function-url' | 'console';

export interface HttpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string | undefined;
  pathParams: Record<string, string>;
  requestId: string;
  sourceIp: string;
}

export interface ScfContext {
  request_id?: string;
  function_name?: string;
}

export const ACCEPTED_SHAPES =
  'accepted event shapes: API Gateway trigger {httpMethod, path, headers, queryString, queryStringParameters, body, requestContext}, ' +
  'Function URL {httpMethod, path, headers, queryString, body}, ' +
  'console test object {path?, method?, query?, body?, headers?}';

const CONSOLE_KEYS = new Set(['path', 'method', 'query', 'body', 'headers']);

type Loose = Record<string, unknown>;

const isObject = (v: unknown): v is Loose => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keeps only string-valued entries; API Gateway sends null for absent maps. */
function stringMap(value: unknown, lowerKeys = false): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!isObject(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[lowerKeys ? k.toLowerCase() : k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[lowerKeys ? k.toLowerCase() : k] = String(v);
  }
  return out;
}

function bodyText(body: unknown, base64: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body === 'string') return base64 === true ? Buffer.from(body, 'base64').toString('utf8') : body;
  // The console lets people paste the body as an object.
  try {
    return JSON.stringify(body);
  } catch {
    throw new AppError(Code.INVALID_PARAM, 'body cannot be serialised as JSON (nested too deeply)', 400);
  }
}

/**
 * The query of a trigger event. Tencent documents `queryString` as an object
 * (doc 583/12513 sample: `{"foo": "bar", "bob": "alice"}`); a raw `a=1&b=2`
 * string is read too, so either form of the platform's event works. A repeated
 * parameter keeps its first value, as URLSearchParams.get does.
 */
function queryMap(value: unknown): Record<string, string> {
  if (typeof value === 'string') {
    const out: Record<string, string> = Object.create(null);
    for (const [k, v] of new URLSearchParams(value.startsWith('?') ? value.slice(1) : value)) if (!(k in out)) out[k] = v;
    return out;
  }
  if (!isObject(value)) return Object.create(null);
  const firsts: Loose = Object.create(null);
  for (const [k, v] of Object.entries(value)) firsts[k] = Array.isArray(v) ? v[0] : v;
  return stringMap(firsts);
}

/** An IP address as a safe key part (it ends up in Redis key names). */
export function clientIp(raw: string | undefined): string {
  return raw && /^[0-9A-Fa-f:.]{2,45}$/.test(raw) ? raw : 'unknown';
}

/**
 * Random bytes for request ids, drawn 4 KiB at a time: a server answering
 * thousands of requests a second paid a randomBytes call (a syscall's worth)
 * for each id.
 */
const ID_BYTES = 12;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** 24 random hex characters. */
export function newRequestId(): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(4096);
    idOffset = 0;
  }
  idOffset += ID_BYTES;
  return idPool.toString('hex', idOffset - ID_BYTES, idOffset);
}

export function eventKind(event: unknown): EventKind | undefined {
  if (!isObject(event)) return undefined;
  if (typeof event.httpMethod === 'string') {
    if ('queryString' in event && !('requestContext' in event)) return 'function-url';
    return 'api-gateway';
  }
  const keys = Object.keys(event);
  if (keys.every((k) => CONSOLE_KEYS.has(k))) return 'console';
  return undefined;
}

/** Throws a 400 AppError naming the accepted shapes for anything else. */
export function toHttpRequest(event: unknown, context: ScfContext = {}, defaults: { method?: string; path?: string } = {}): HttpRequest {
  const kind = eventKind(event);
  if (!kind || !isObject(event)) throw new AppError(Code.INVALID_PARAM, `unrecognised event: ${ACCEPTED_SHAPES}`, 400);
  const headers = stringMap(event.headers, true);
  const requestContext = isObject(event.requestContext) ? event.requestContext : {};
  const requestId =
    (typeof requestContext.requestId === 'string' && requestContext.requestId) ||
    headers['x-api-requestid'] ||
    context.request_id ||
    newRequestId();

  if (kind === 'console') {
    return {
      method: (typeof event.method === 'string' ? event.method : defaults.method ?? 'POST').toUpperCase(),
      path: typeof event.path === 'string' ? event.path : defaults.path ?? '/',
      query: stringMap(event.query),
      headers,
      body: bodyText(event.body, false),
      pathParams: {},
      requestId,
      sourceIp: '127.0.0.1',
    };
  }
  // API Gateway puts only the parameters declared on the API in queryStringParameters;
  // the client's whole query (userID, token ...) is in queryString (doc 583/12513).
  // A Function URL event has queryString alone (doc 583/96099).
  const query = kind === 'function-url' ? queryMap(event.queryString) : Object.assign(stringMap(event.queryStringParameters), queryMap(event.queryString));
  return {
    method: String(event.httpMethod).toUpperCase(),
    path: typeof event.path === 'string' ? event.path : '/',
    query,
    headers,
    body: bodyText(event.body, event.isBase64Encoded),
    pathParams: stringMap(event.pathParameters),
    requestId,
    // Only addresses the platform sets: X-Forwarded-For is the client's to forge.
    sourceIp: clientIp((typeof requestContext.sourceIp === 'string' && requestContext.sourceIp) || headers['x-scf-remote-addr']),
  };
}
