/**
 * `npm run docs:api`: renders the OpenAPI document the router serves
 * (shared/http/openapi.ts, from the endpoint definitions in functions/) into
 * docs/api.md and the typed client's generated part, client/roomservice.ts.
 * tests/integration/api-reference.test.ts fails when either committed file
 * differs from what this renders, so run it after changing an endpoint.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEndpoints } from '../functions/router';
import { ADMIN_ROUTES, type AdminRoute } from '../shared/admin/routes';
import { CODE_MEANINGS, COMMON_CODES, jsonSchema, openApiDocument } from '../shared/http/openapi';

type Schema = Record<string, unknown>;
type Operation = Schema & { operationId: string; summary: string; parameters?: Schema[]; requestBody?: Schema; 'x-room-types': string[]; 'x-result-codes': number[] };

export const ROOT = join(__dirname, '..');
export const API_MD = join(ROOT, 'docs/api.md');
export const CLIENT_TS = join(ROOT, 'client/roomservice.ts');
export const ADMIN_MD = join(ROOT, 'docs/admin.md');
const USAGE_MD = join(ROOT, 'client/USAGE.md');

const SAFE = 9007199254740991;

function operations(doc: Schema): { path: string; method: string; op: Operation }[] {
  const out: { path: string; method: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) out.push({ path, method: method.toUpperCase(), op });
  }
  return out;
}

const bodySchema = (op: Operation): Schema | undefined =>
  (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content?.['application/json']?.schema;

/** The success variant of the 200 answer, without the envelope's own fields. */
function resultSchema(op: Operation): Schema {
  const ok = (op.responses as Record<string, { content: Record<string, { schema: { anyOf: Schema[] } }> }>)['200']!.content['application/json']!.schema.anyOf[0]!;
  const { code: _c, message: _m, requestId: _r, ...properties } = ok.properties as Record<string, Schema>;
  return { type: 'object', properties, required: (ok.required as string[]).filter((f) => f in properties) };
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeText(s: Schema): string {
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' or ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map(typeText).join(' or ');
  if (Array.isArray(s.type)) return s.type.join(' or ');
  if (s.type === 'array') return `${typeText(s.items as Schema)}[]`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeText(s.additionalProperties as Schema)}`;
  return typeof s.type === 'string' ? s.type : 'any JSON';
}

function limitsText(s: Schema): string[] {
  const out: string[] = [];
  if (typeof s.pattern === 'string') out.push(`pattern \`${s.pattern}\``);
  if (typeof s.minLength === 'number' && s.minLength > 0) out.push(`min length ${s.minLength}`);
  if (typeof s.maxLength === 'number') out.push(`max length ${s.maxLength}`);
  if (typeof s.minimum === 'number' && s.minimum > -SAFE) out.push(`min ${s.minimum}`);
  if (typeof s.maximum === 'number' && s.maximum < SAFE) out.push(`max ${s.maximum}`);
  if ('default' in s) out.push(`default ${JSON.stringify(s.default)}`);
  for (const variant of (s.anyOf ?? []) as Schema[]) out.push(...limitsText(variant));
  return out;
}

/** One row per field; fields of nested objects (and arrays of objects) as `parent[].child`. */
function fieldRows(schema: Schema, withRequired: boolean, prefix = ''): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows: string[] = [];
  for (const [name, s] of Object.entries(properties)) {
    const notes = [...(s.description ? [String(s.description)] : []), ...limitsText(s)].join('; ');
    const req = withRequired ? ` ${required.has(name) ? 'yes' : 'no'} |` : ` ${required.has(name) ? 'always' : 'sometimes'} |`;
    rows.push(`| \`${prefix}${name}\` | ${cell(typeText(s))} |${req} ${cell(notes)} |`);
    const items = s.type === 'array' ? (s.items as Schema) : s;
    if (items.type === 'object' && items.properties) rows.push(...fieldRows(items, withRequired, `${prefix}${name}${s.type === 'array' ? '[]' : ''}.`));
  }
  return rows;
}

function fieldTable(schema: Schema, kind: 'input' | 'output'): string {
  const rows = fieldRows(schema, kind === 'input');
  if (rows.length === 0) return kind === 'input' ? 'No fields.' : 'Nothing beyond the envelope.';
  const head = kind === 'input' ? '| field | type | required | notes |\n|---|---|---|---|' : '| field | type | present | notes |\n|---|---|---|---|';
  return `${head}\n${rows.join('\n')}`;
}

function endpointSection(path: string, method: string, op: Operation): string {
  const params = op.parameters ?? [];
  const session = params.some((p) => p.name === 'token');
  const queryInput: Schema = {
    properties: Object.fromEntries(params.filter((p) => p.in === 'query' && p.name !== 'token' && !(session && p.name === 'userID')).map((p) => [p.name, { ...(p.schema as Schema), ...(p.description ? { description: p.description } : {}) }])),
    required: params.filter((p) => p.in === 'query' && p.required && p.name !== 'token' && !(session && p.name === 'userID')).map((p) => p.name),
  };
  const body = bodySchema(op);
  const types = op['x-room-types'];
  const lines = [
    `### ${op.operationId}`,
    '',
    `\`${method} ${path}\``,
    '',
    op.summary,
    '',
    `* Room types: ${types.length ? types.map((t) => `\`${t}\``).join(', ') : 'none (not a room action)'}`,
    `* Session: ${session ? '`userID` and `token` (from login) in the query' : 'none'}`,
  ];
  if (Object.keys(queryInput.properties as Schema).length > 0 || !body) {
    lines.push('', `**Query parameters**${body ? ' (or the same fields in a JSON body)' : ''}`, '', fieldTable(queryInput, 'input'));
  } else {
    lines.push('', '**JSON body**', '', fieldTable(body, 'input'));
  }
  lines.push('', '**Answer** (code 0; the envelope adds `code`, `message`, `requestId`)', '', fieldTable(resultSchema(op), 'output'));
  const common = new Set<number>(COMMON_CODES.map((c) => c.code));
  const own = op['x-result-codes'].filter((c) => c !== 0 && !common.has(c));
  lines.push('', `**Result codes**: 0${own.length ? `, ${own.map((c) => `${c} (${CODE_MEANINGS[c]})`).join('; ')}` : ''}; and the common ones.`);
  return lines.join('\n');
}

export function renderMarkdown(doc: Schema): string {
  const ops = operations(doc);
  const index = ops.map(({ path, method, op }) => `| [\`${op.operationId}\`](#${op.operationId}) | \`${method} ${path}\` | ${op['x-room-types'].length ? op['x-room-types'].join(', ') : '-'} | ${cell(op.summary)} |`);
  const codes = Object.entries(CODE_MEANINGS).map(([code, meaning]) => `| ${code} | ${cell(meaning)} |`);
  const usage = readFileSync(USAGE_MD, 'utf8').trim();
  return [
    '# API reference',
    '',
    '<!-- Generated by `npm run docs:api` from the endpoint definitions (functions/*.ts); do not edit by hand. A test fails when it is out of date. -->',
    '',
    `The same content, as OpenAPI ${String(doc.openapi)}, is served at \`GET /openapi.json\` by the router and by \`npm start\`.`,
    '',
    '## Conventions',
    '',
    '* Room actions: `POST /weapp/{roomType}/{action}?userID=<user>&token=<token>` with a JSON body (`Content-Type: application/json`). `roomType` is `double_room`, `multi_room` or `live_room`; each endpoint below lists the types it serves (others answer 404).',
    '* The session: `login` answers a `token`; send it with the `userID` in the **query** of every other room action. A body `userID`, when sent, must be the same user (else code 7).',
    '* Utilities: `GET /weapp/utils/{action}` with query parameters; no session.',
    '* TRTC rooms (webrtcroom.js, docs/protocol.md §7): `POST /weapp/webrtc_room/{action}` with a JSON body and no query (operation ids `webrtc_<action>`). Identity: with `AUTH_MODE=demo` the body `userID` as sent; with `jwt` or `off` a proof in `Authorization: Bearer <token>` or a body `token` field (a session token from `login`, with its `userID` in the body, or with `jwt` the app\'s JWT); a body `userID` that differs from the proof is code 7.',
    "* Every answer is the envelope `{code, message, requestId, ...}`. Business failures are HTTP 200 with a non-zero `code` (old clients read only `code`); malformed requests are HTTP 400 with code 1 and a message naming the field.",
    `* The common codes, which any endpoint may answer: ${COMMON_CODES.map((c) => `${c.code} (HTTP ${c.status})`).join(', ')}; every room action with a session also 7. Each endpoint lists its own codes besides these.`,
    '',
    '| code | meaning |',
    '|---|---|',
    ...codes,
    '',
    '## Endpoints',
    '',
    '| endpoint | route | room types | what it does |',
    '|---|---|---|---|',
    ...index,
    '',
    ...ops.flatMap(({ path, method, op }) => [endpointSection(path, method, op), '']),
    usage,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

const camel = (action: string) => action.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const pascal = (action: string) => camel(action).replace(/^./, (c) => c.toUpperCase());

/** A TypeScript type for a JSON Schema as zod emits it. */
export function tsType(s: Schema, indent = ''): string {
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map((v) => tsType(v, indent)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => tsType({ type: t })).join(' | ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `Array<${tsType(s.items as Schema, indent)}>`;
    case 'object': {
      if (!s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') return `Record<string, ${tsType(s.additionalProperties as Schema, indent)}>`;
      const required = new Set((s.required ?? []) as string[]);
      const fields = Object.entries((s.properties ?? {}) as Record<string, Schema>).map(
        ([name, p]) => `${indent}  ${p.description ? `/** ${String(p.description).replace(/\*\//g, '* /')} */ ` : ''}${name}${required.has(name) ? '' : '?'}: ${tsType(p, `${indent}  `)};`,
      );
      return fields.length ? `{\n${fields.join('\n')}\n${indent}}` : 'Record<string, never>';
    }
    default:
      return 'unknown';
  }
}

/** The fields every room action's body starts with (userID, roomID): one named type instead of a copy per action. */
const ROOM_REQUEST_FIELDS = ['userID', 'roomID'];

/** `RoomRequest & {...}` when the input starts with the room request's fields exactly as `common` renders them. */
function inputType(input: Schema, common: string): string {
  const properties = (input.properties ?? {}) as Record<string, Schema>;
  if (input.type !== 'object' || ROOM_REQUEST_FIELDS.some((f) => !(f in properties))) return tsType(input);
  const head = tsType({ ...input, properties: Object.fromEntries(ROOM_REQUEST_FIELDS.map((f) => [f, properties[f]!])) });
  if (head !== common) return tsType(input);
  const rest = Object.fromEntries(Object.entries(properties).filter(([f]) => !ROOM_REQUEST_FIELDS.includes(f)));
  if (Object.keys(rest).length === 0) return 'RoomRequest';
  return `RoomRequest & ${tsType({ ...input, properties: rest, required: ((input.required ?? []) as string[]).filter((f) => !ROOM_REQUEST_FIELDS.includes(f)) })}`;
}

export function renderClient(doc: Schema): string {
  const types: string[] = [];
  const methods: string[] = [];
  let roomRequest: string | undefined;
  for (const { path, method, op } of operations(doc)) {
    const name = pascal(op.operationId);
    const params = op.parameters ?? [];
    const session = params.some((p) => p.name === 'token');
    const body = bodySchema(op);
    const input: Schema = body ?? {
      type: 'object',
      properties: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])),
      required: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name),
    };
    const inputFrom = body ? (op.requestBody as { required: boolean }).required ? 'body' : 'query+body' : 'query';
    const optionalInput = ((input.required ?? []) as string[]).length === 0;
    if (roomRequest === undefined && op['x-room-types'].length && bodySchema(op)) {
      // The first room action that requires a roomID defines the shared type (the rest must render the same to use it).
      const properties = (input.properties ?? {}) as Record<string, Schema>;
      if (ROOM_REQUEST_FIELDS.every((f) => f in properties) && ((input.required ?? []) as string[]).includes('roomID')) {
        roomRequest = tsType({ ...input, properties: Object.fromEntries(ROOM_REQUEST_FIELDS.map((f) => [f, properties[f]!])) });
        types.push(`/** The fields every room action's body starts with. */\nexport type RoomRequest = ${roomRequest};`);
      }
    }
    types.push(`export type ${name}Input = ${roomRequest ? inputType(input, roomRequest) : tsType(input)};`, `export type ${name}Result = ${tsType(resultSchema(op))};`);
    const roomTypes = op['x-room-types'];
    const roomParam = roomTypes.length ? `roomType: ${roomTypes.map((t) => JSON.stringify(t)).join(' | ')}, ` : '';
    const route = `{ action: '${op.operationId}', method: '${method}', path: '${path}', roomType: ${roomTypes.length ? 'roomType' : 'undefined'}, session: ${session}, inputFrom: '${inputFrom}' }`;
    methods.push(
      `  /** ${op.summary.replace(/\*\//g, '* /')} */`,
      `  ${camel(op.operationId)}(${roomParam}input: ${name}Input${optionalInput ? ' = {}' : ''}): Promise<${name}Result> {`,
      `    return this.send<${name}Result>(${route}, input);`,
      '  }',
      '',
    );
  }
  return [
    '/**',
    ' * Generated by `npm run docs:api` from the endpoint definitions (functions/*.ts,',
    ' * via the OpenAPI document of shared/http/openapi.ts); do not edit by hand.',
    ' * tests/integration/api-reference.test.ts fails when it is out of step.',
    ' * The hand-written part (transport, session, errors) is ./core.ts.',
    ' */',
    "import { ClientCore } from './core';",
    '',
    ...types.flatMap((t) => [t, '']),
    '/** One method per endpoint; errors are thrown as RoomServiceError with the answer\'s `code`. */',
    'export class RoomServiceClient extends ClientCore {',
    ...methods.slice(0, -1),
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------
// The admin API (docs/admin.md): operator-only, so it stays out of
// /openapi.json and the app client; rendered from shared/admin/routes.ts.
// ---------------------------------------------------------------------------

/** Codes any admin route may answer, with their HTTP status. */
const ADMIN_COMMON_CODES = [
  [1, 400, 'malformed request: body not JSON, a field missing, of the wrong type or out of range, an unknown room type, a cursor not answered by this API (the message names it)'],
  [401, 401, 'admin API key missing or wrong (`WWW-Authenticate: Bearer`)'],
  [404, 404, 'no such admin route; or ADMIN_API_KEY is unset (then every /admin path, the page included)'],
  [405, 405, 'the route exists with another method (`Allow` lists it)'],
  [413, 413, 'body over 64 KiB'],
  [500, 500, 'internal error (logged with its stack under the request id)'],
  [5002, 500, 'configuration invalid'],
  [5003, 503, 'room store (Redis) unavailable'],
] as const;

function adminSection(route: AdminRoute): string {
  const input = jsonSchema(route.input, 'input');
  const pathParams = new Set([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
  const properties = (input.properties ?? {}) as Record<string, Schema>;
  const required = (input.required ?? []) as string[];
  const part = (keep: (name: string) => boolean): Schema => ({
    properties: Object.fromEntries(Object.entries(properties).filter(([name]) => keep(name))),
    required: required.filter(keep),
  });
  const lines = [`### ${route.name}`, '', `\`${route.method} ${route.path}\``, '', route.summary];
  if (pathParams.size > 0) lines.push('', '**Path parameters**', '', fieldTable(part((n) => pathParams.has(n)), 'input'));
  const rest = part((n) => !pathParams.has(n));
  if (Object.keys(rest.properties as Schema).length > 0) lines.push('', route.method === 'POST' ? '**JSON body**' : '**Query parameters**', '', fieldTable(rest, 'input'));
  const output = jsonSchema(route.output, 'output');
  if (Object.keys(output.properties ?? {}).length > 0) lines.push('', '**Answer** (code 0; the envelope adds `code`, `message`, `requestId`)', '', fieldTable(output, 'output'));
  if (route.textAnswer) lines.push('', `**Answer** ${route.textAnswer}; failures answer the JSON envelope.`);
  const own = route.codes.map((c) => `${c.code} (HTTP ${c.status}: ${c.when})`);
  lines.push('', `**Result codes**: 0${own.length ? `; ${own.join('; ')}` : ''}; and the common ones.`);
  return lines.join('\n');
}

export function renderAdminMarkdown(routes: readonly AdminRoute[]): string {
  const index = routes.map((r) => `| [\`${r.name}\`](#${r.name}) | \`${r.method} ${r.path}\` | ${cell(r.summary)} |`);
  return [
    '# Admin API reference',
    '',
    '<!-- Generated by `npm run docs:api` from shared/admin/routes.ts; do not edit by hand. A test fails when it is out of date. -->',
    '',
    'The operator plane under `/admin/`, served by the router and `npm start`. [admin-api.md](admin-api.md) has the overview and curl examples; this is every route\'s fields.',
    '',
    '## Conventions',
    '',
    '* Off unless `ADMIN_API_KEY` is set: without it every `/admin` path answers HTTP 404 (code 404), the dashboard page included.',
    '* `GET /admin/` (and `/admin`): the ops dashboard (HTML, no key needed to load it; it asks for the key and keeps it in the browser session). Sent with a Content-Security-Policy that allows only the page\'s own inline script and style (by hash) and same-origin requests.',
    '* Every other path needs `Authorization: Bearer <ADMIN_API_KEY>` (compared in constant time), checked before the route is looked up: HTTP 401, code 401 without it or with a wrong key.',
    '* JSON in and out. Path parameters (`{roomType}`, `{roomID}`, `{userID}`) are percent-encoded path segments; GET and DELETE take their other fields from the query, POST from a JSON object body.',
    '* Every answer is `{code, message, requestId, ...}`; success is code 0, message `ok`, HTTP 200. Answers carry `Cache-Control: no-store` and no CORS headers (the dashboard is same-origin).',
    '* Every call writes one `admin_request` log line (route, method, path, code, HTTP status, source address, request id; never the key).',
    '',
    '**Common result codes** (any route):',
    '',
    '| code | HTTP | meaning |',
    '|---|---|---|',
    ...ADMIN_COMMON_CODES.map(([code, status, meaning]) => `| ${code} | ${status} | ${cell(meaning)} |`),
    '',
    '## Routes',
    '',
    '| route | method and path | what it does |',
    '|---|---|---|',
    ...index,
    '',
    ...routes.flatMap((r) => [adminSection(r), '']),
  ].join('\n');
}

export const generated = async () => {
  const doc = openApiDocument(await loadEndpoints());
  return { markdown: renderMarkdown(doc), client: renderClient(doc), admin: renderAdminMarkdown(ADMIN_ROUTES) };
};

if (require.main === module) {
  void generated().then(({ markdown, client, admin }) => {
    writeFileSync(API_MD, markdown);
    writeFileSync(CLIENT_TS, client);
    writeFileSync(ADMIN_MD, admin);
    process.stdout.write(`wrote ${API_MD}, ${CLIENT_TS} and ${ADMIN_MD}\n`);
  });
}
