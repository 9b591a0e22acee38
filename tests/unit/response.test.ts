/**
 * The response builder's shortcuts (cached CORS headers, the envelope's JSON
 * with the request id appended) answer what the plain construction did.
 */
import { describe, expect, it } from 'vitest';
import { AppError, Code } from '../../shared/errors';
import { corsHeaders, errorEnvelope, respond, successEnvelope } from '../../shared/http/response';

describe('response building', () => {
  it('CORS headers: any origin, an allowed origin (with Vary), an origin not on the list (none)', () => {
    expect(corsHeaders(['*'], 'https://x.example')['Access-Control-Allow-Origin']).toBe('*');
    const list = ['https://a.example', 'https://b.example'];
    expect(corsHeaders(list, 'https://b.example')).toMatchObject({ 'Access-Control-Allow-Origin': 'https://b.example', Vary: 'Origin' });
    expect(corsHeaders(list, 'https://a.example')['Access-Control-Allow-Origin']).toBe('https://a.example');
    const refused = corsHeaders(list, 'https://evil.example');
    expect(refused['Access-Control-Allow-Origin']).toBeUndefined();
    expect(refused.Vary).toBeUndefined();
    expect(corsHeaders(list, undefined)).toBe(refused);
    // Cached per list and origin, and frozen so no caller can change another's headers.
    expect(corsHeaders(list, 'https://b.example')).toBe(corsHeaders(list, 'https://b.example'));
    expect(Object.isFrozen(refused)).toBe(true);
  });

  it('the body is the envelope plus requestId, in that order, escaped', () => {
    const ok = respond(200, successEnvelope({ token: 't', n: 1 }), 'id"1', corsHeaders(['*'], undefined));
    expect(ok.body).toBe(JSON.stringify({ code: Code.OK, message: 'success', token: 't', n: 1, requestId: 'id"1' }));
    expect(ok.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'X-Request-Id': 'id"1', 'Access-Control-Allow-Origin': '*' });
    const failed = respond(400, errorEnvelope(new AppError(Code.INVALID_PARAM, 'roomID is required', 400)), 'r2', corsHeaders(['*'], undefined));
    expect(JSON.parse(failed.body)).toEqual({ code: Code.INVALID_PARAM, message: 'roomID is required', requestId: 'r2' });
    // An envelope naming its own requestId still answers the request's.
    expect(JSON.parse(respond(200, { code: 0, requestId: 'x' }, 'r3', {}).body)).toEqual({ code: 0, requestId: 'r3' });
    expect(JSON.parse(respond(200, {}, 'r4', {}).body)).toEqual({ requestId: 'r4' });
  });
});
