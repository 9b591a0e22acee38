/**
 * The OpenAPI 3.1 document of the service, built from the endpoint
 * definitions (their zod schemas are the single source; zod emits JSON
 * Schema 2020-12, which OpenAPI 3.1 uses as is). The router serves it at
 * GET /openapi.json; `npm run docs:api` renders it into docs/api.md and the
 * typed client. Any endpoint in the router's list is picked up.
 */
import { z } from 'zod';
import { STREAM_ROOM_TYPES } from '../config';
import { Code } from '../errors';
import { functionNameOf, type Endpoint } from './endpoint';
import type { ScfResponse } from './response';

type Schema = Record<string, unknown>;

/** The protocol's version as this document describes it. */
export const API_VERSION = '1.0.0';

/** Codes any endpoint may answer (docs/error-codes.md), with their HTTP status. */
export const COMMON_CODES: readonly { code: Code; status: number; meaning: string }[] = [
  { code: Code.INVALID_PARAM, status: 400, meaning: 'missing or invalid parameter (the message names it)' },
  { code: Code.NOT_FOUND, status: 404, meaning: 'unknown room type or action' },
  { code: Code.METHOD_NOT_ALLOWED, status: 405, meaning: 'wrong HTTP method' },
  { code: Code.BODY_TOO_LARGE, status: 413, meaning: 'body over 64 KiB' },
  { code: Code.RATE_LIMITED, status: 429, meaning: 'rate limited' },
  { code: Code.INTERNAL, status: 500, meaning: 'internal error' },
  { code: Code.CONFIG_INVALID, status: 500, meaning: 'configuration invalid' },
  { code: Code.STORE_UNAVAILABLE, status: 503, meaning: 'room store (Redis) unavailable' },
];

/** What each result code means (docs/error-codes.md), for the reference. */
export const CODE_MEANINGS: Record<number, string> = {
  [Code.OK]: 'success',
  [Code.INVALID_PARAM]: 'missing or invalid parameter; the message names it',
  [Code.ROOM_NOT_FOUND]: 'room does not exist (or was never entered) / caller is not the creator (destroy_room)',
  [Code.NOT_A_MEMBER]: 'caller is not a pusher of the room',
  [Code.IM_GROUP_FAILED]: 'creating the IM group failed (no room was created)',
  [Code.AUTH_FAILED]: 'authentication failed: login signature, token missing/expired/revoked, body userID not the token user, JWT rejected',
  [Code.VALUE_TOO_LONG]: 'roomInfo over 1024 bytes, mergeParams not valid JSON, or custom fields over their caps (CUSTOM_MAX_FIELDS / CUSTOM_MAX_BYTES)',
  [Code.ROOM_EXISTS]: 'room id already taken (in any room type); roomID is echoed',
  [Code.ROOM_FULL]: 'room is full',
  [Code.CLOUD_API_FAILED]: 'Tencent Cloud API 3.0 call failed (HTTP 502)',
  [Code.ROOM_QUOTA]: 'the caller holds ROOMS_PER_USER open rooms already',
  [Code.FEATURE_DISABLED]: 'endpoint disabled (get_login_info with AUTH_MODE=off, HTTP 403)',
  ...Object.fromEntries(COMMON_CODES.map((c) => [c.code, c.meaning])),
};

/** JSON Schema of a zod schema as a request (`input`) or an answer (`output`) sees it. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Schema;
  return rest;
}

/** Unique across scopes: webrtc_room's actions share names with the stream protocol's (webrtc_get_login_info). */
export const operationId = (def: Endpoint) => functionNameOf(def);
/** Room endpoints share `/weapp/{roomType}/`; any other scope (utils, ...) is a fixed path segment. */
export const pathOf = (def: Endpoint) => (def.scope === 'room' ? `/weapp/{roomType}/${def.action}` : `/weapp/${def.scope}/${def.action}`);
export const roomTypesOf = (def: Endpoint): readonly string[] => (def.scope === 'room' ? (def.roomTypes ?? STREAM_ROOM_TYPES) : []);
export const inputSource = (def: Endpoint) => def.inputFrom ?? (def.method === 'GET' ? 'query' : 'body');

/** Every result code an endpoint may answer, sorted. */
export function codesOf(def: Endpoint): number[] {
  const codes = new Set<number>([Code.OK, ...def.codes, ...COMMON_CODES.map((c) => c.code)]);
  if (def.auth === 'session' || def.auth === 'identity') codes.add(Code.AUTH_FAILED);
  return [...codes].sort((a, b) => a - b);
}

function queryParameters(schema: Schema): Schema[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const envelope = (extra: Schema, required: string[]): Schema => ({
  type: 'object',
  properties: {
    code: { type: 'integer', description: '0 on success' },
    message: { type: 'string' },
    requestId: { type: 'string', description: 'names the request in the logs' },
    ...extra,
  },
  required: ['code', 'message', 'requestId', ...required],
});

function operation(def: Endpoint): Schema {
  const input = jsonSchema(def.input, 'input');
  const output = jsonSchema(def.output, 'output');
  const source = inputSource(def);
  const parameters: Schema[] = [];
  if (def.scope === 'room') {
    parameters.push({ name: 'roomType', in: 'path', required: true, schema: { type: 'string', enum: [...roomTypesOf(def)] } });
  }
  if (def.auth === 'session') {
    parameters.push(
      { name: 'userID', in: 'query', required: true, description: 'the signed-in user (as given to login)', schema: { type: 'string' } },
      { name: 'token', in: 'query', required: true, description: "login's token", schema: { type: 'string' } },
    );
  }
  if (source !== 'body') parameters.push(...queryParameters(input));
  const success = envelope({ ...(output.properties as Schema), code: { const: 0 } }, (output.required ?? []) as string[]);
  const codes = codesOf(def);
  return {
    operationId: operationId(def),
    summary: def.summary,
    description: `${def.summary}\n\nResult codes: ${codes.join(', ')}.`,
    ...(parameters.length ? { parameters } : {}),
    ...(source !== 'query'
      ? {
          requestBody: {
            required: source === 'body',
            description: source === 'body' ? 'JSON object' : 'JSON object; its fields fill in what the query lacks',
            content: { 'application/json': { schema: input } },
          },
        }
      : {}),
    ...(def.auth === 'session' ? { security: [{ sessionToken: [] }] } : { security: [] }),
    responses: {
      '200': {
        description: 'the envelope: code 0 with the fields below, or a business failure (HTTP 200, code != 0)',
        content: { 'application/json': { schema: { anyOf: [success, { $ref: '#/components/schemas/Failure' }] } } },
      },
      default: {
        description: 'a malformed request or a service failure: the envelope with a non-zero code',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Failure' } } },
      },
    },
    'x-room-types': [...roomTypesOf(def)],
    'x-result-codes': codes,
  };
}

/** The OpenAPI 3.1 document of these endpoints. */
export function openApiDocument(endpoints: readonly Endpoint[]): Schema {
  const paths: Record<string, Schema> = {};
  for (const def of endpoints) paths[pathOf(def)] = { ...paths[pathOf(def)], [def.method.toLowerCase()]: operation(def) };
  return {
    openapi: '3.1.0',
    info: {
      title: 'RoomService for Tencent SCF',
      version: API_VERSION,
      description:
        'The wire protocol of the room clients (rtcroom.js / liveroom.js, iOS, Android, Windows): double_room, multi_room and live_room; ' +
        'and the TRTC protocol of webrtcroom.js under /weapp/webrtc_room/ (identity per AUTH_MODE: the body userID in demo, else a proof). ' +
        'Every answer is the envelope {code, message, requestId, ...}; business failures are HTTP 200 with a non-zero code. ' +
        'Room actions are POST with a JSON body and the session in the query: ?userID=...&token=... (token from login).',
    },
    paths,
    components: {
      schemas: {
        Failure: envelope(
          {
            code: { type: 'integer', enum: Object.keys(CODE_MEANINGS).map(Number).filter((c) => c !== 0) },
            result: { type: 'string', description: "login's reason for a code 7" },
            roomID: { type: 'string', description: 'the taken room id, with code 11' },
          },
          [],
        ),
      },
      securitySchemes: { sessionToken: { type: 'apiKey', in: 'query', name: 'token', description: "login's token; userID goes beside it in the query" } },
    },
  };
}

const served = new WeakMap<readonly Endpoint[], string>();

/** GET /openapi.json: the document as is (no envelope), built once per container. */
export function openApiResponse(endpoints: readonly Endpoint[]): ScfResponse {
  let body = served.get(endpoints);
  if (body === undefined) served.set(endpoints, (body = JSON.stringify(openApiDocument(endpoints))));
  return { isBase64Encoded: false, statusCode: 200, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Access-Control-Allow-Origin': '*' }, body };
}

/** True for a request of the document (any prefix the API path may carry). */
export const isOpenApiRequest = (method: string, path: string) => method === 'GET' && /(?:^|\/)openapi\.json$/.test(path);
