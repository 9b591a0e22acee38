/**
 * Result or AppError -> the protocol envelope `{code, message, ...}` as an SCF
 * integration response (API Gateway and Function URL read the same shape).
 */
import { AppError, Code } from '../errors';

export interface ScfResponse {
  isBase64Encoded: false;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The CORS headers answered for an allowed-origins list, computed once per list
 * (and per allowed origin): every response carries them, and building them
 * anew was measurable on the heartbeat path. Only origins on the list get an
 * entry, so a caller cannot grow the cache. Callers copy, never change, them.
 */
const corsCache = new WeakMap<readonly string[], Map<string | undefined, Readonly<Record<string, string>>>>();

function buildCors(allowed: readonly string[], origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Methods': 'GET,POST,OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type,Authorization',
    'Access-Control-Max-Age': '600',
  };
  if (allowed.includes('*')) headers['Access-Control-Allow-Origin'] = '*';
  else if (origin && allowed.includes(origin)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers.Vary = 'Origin';
  }
  return headers;
}

export function corsHeaders(allowed: readonly string[], origin: string | undefined): Readonly<Record<string, string>> {
  let byOrigin = corsCache.get(allowed);
  if (!byOrigin) corsCache.set(allowed, (byOrigin = new Map()));
  // '*' or an origin not on the list: the answer does not depend on the origin.
  const key = !allowed.includes('*') && origin && allowed.includes(origin) ? origin : undefined;
  let headers = byOrigin.get(key);
  if (!headers) byOrigin.set(key, (headers = Object.freeze(buildCors(allowed, key))));
  return headers;
}

export function respond(status: number, envelope: Record<string, unknown>, requestId: string, cors: Readonly<Record<string, string>>): ScfResponse {
  const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': requestId };
  for (const name in cors) headers[name] = cors[name]!;
  return { isBase64Encoded: false, statusCode: status, headers, body: envelopeJson(envelope, requestId) };
}

/**
 * `{...envelope, requestId}` as JSON, without copying the envelope: its JSON
 * with the id appended (an envelope that names a requestId itself, which none
 * does, takes the copying path so the id still wins).
 */
function envelopeJson(envelope: Record<string, unknown>, requestId: string): string {
  if ('requestId' in envelope) return JSON.stringify({ ...envelope, requestId });
  const fields = JSON.stringify(envelope);
  return fields.length > 2 ? `${fields.slice(0, -1)},"requestId":${JSON.stringify(requestId)}}` : JSON.stringify({ requestId });
}

const NO_FIELDS = Object.freeze({});

export function successEnvelope(result: Record<string, unknown> | void): Record<string, unknown> {
  return { code: Code.OK, message: 'success', ...(result ?? NO_FIELDS) };
}

export function errorEnvelope(error: AppError): Record<string, unknown> {
  return { code: error.code, message: error.message, ...error.extra };
}
