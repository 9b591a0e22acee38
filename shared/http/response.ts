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

export function corsHeaders(allowed: readonly string[], origin: string | undefined): Record<string, string> {
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

export function respond(status: number, envelope: Record<string, unknown>, requestId: string, cors: Record<string, string>): ScfResponse {
  return {
    isBase64Encoded: false,
    statusCode: status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': requestId, ...cors },
    body: JSON.stringify({ ...envelope, requestId }),
  };
}

export function successEnvelope(result: Record<string, unknown> | void): Record<string, unknown> {
  return { code: Code.OK, message: 'success', ...(result ?? {}) };
}

export function errorEnvelope(error: AppError): Record<string, unknown> {
  return { code: error.code, message: error.message, ...error.extra };
}
