/**
 * The service on Node's HTTP server: the one core under the self-hosted server
 * (server/index.ts, `npm run serve`) and the local gateway (scripts/gateway.ts,
 * `npm start`). A request goes from the socket straight to the router's
 * `routeRequest` as an HttpRequest, with no SCF event built and parsed back
 * per request; routing, CORS, body limits and envelopes stay where SCF has
 * them (functions/router.ts, shared/http/endpoint.ts, response.ts), so both
 * paths answer alike.
 *
 * Also here, for every long-running process: the sweeper's timer (the timer
 * trigger's job in the cloud) and a graceful close (stop accepting, let the
 * requests in flight finish within a bound, then drop what is left).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Code, errorMessage } from '../errors';
import { log } from '../log';
import type { Runtime } from '../runtime';
import { sweep } from '../rooms/sweeper';
import { MAX_BODY_BYTES } from './endpoint';
import { clientIp, newRequestId, type HttpRequest } from './event';
import { respond, type ScfResponse } from './response';

/** What answers one request: functions/router.ts `routeRequest`. */
export type RouteRequest = (req: HttpRequest) => Promise<ScfResponse>;

/** `/weapp/{group}/{action}`: what API Gateway would hand over as path parameters. */
const ROUTE_PARTS = /^\/weapp\/([^/]+)\/([^/]+)\/?$/;
/** A request target read as it stands (no dot segments, no fragment, no `//`); anything else goes through URL. */
const PLAIN_TARGET = /^\/(?!\/)[^#]*$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$|\?)|%2e/i;

/** A path segment as written when it is not valid percent-encoding (the router then answers 404). */
function decodePart(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The query as the local gateway always read it (API Gateway's
 * queryStringParameters): a repeated parameter keeps its last value, so
 * `?userID=a&token=<a's>&userID=b` is b's request and its token is refused
 * (tests/integration/fuzz.test.ts "duplicate userID in the query").
 */
function queryOf(search: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (search === '') return out;
  for (const [k, v] of new URLSearchParams(search)) out[k] = v;
  return out;
}

/** Node joins repeated headers itself; only set-cookie stays a list, which no route reads. */
function headersOf(msg: IncomingMessage): Record<string, string> {
  const headers = msg.headers as Record<string, string | string[] | undefined>;
  if (headers['set-cookie'] === undefined) return headers as Record<string, string>;
  const out: Record<string, string> = Object.create(null);
  for (const name in headers) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  return out;
}

/** The request as the router sees it, read from the socket's request line and headers. */
export function requestOf(msg: IncomingMessage, body: string | undefined): HttpRequest {
  const target = msg.url ?? '/';
  let path: string;
  let search: string;
  if (PLAIN_TARGET.test(target) && !DOT_SEGMENT.test(target)) {
    const mark = target.indexOf('?');
    path = mark === -1 ? target : target.slice(0, mark);
    search = mark === -1 ? '' : target.slice(mark + 1);
  } else {
    // Dot segments, `//` or a fragment: resolved the way a URL is (throws on what is no URL at all).
    const url = new URL(target, 'http://service');
    path = url.pathname;
    search = url.search.slice(1);
  }
  const parts = ROUTE_PARTS.exec(path);
  return {
    method: msg.method ?? 'GET',
    path,
    query: queryOf(search),
    headers: headersOf(msg),
    body,
    pathParams: parts ? { roomType: decodePart(parts[1]!), action: decodePart(parts[2]!) } : {},
    requestId: newRequestId(),
    sourceIp: clientIp(msg.socket.remoteAddress),
  };
}

/**
 * The body as text, or undefined when there is none. Kept up to one byte past
 * the limit, so the endpoint pipeline sees "too large" and answers 413 (one
 * owner of that rule: endpoint.ts).
 */
function readBody(msg: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let more: Buffer[] | undefined;
    let size = 0;
    msg.on('data', (chunk: Buffer) => {
      if (size <= MAX_BODY_BYTES) {
        if (first === undefined) first = chunk;
        else (more ??= [first]).push(chunk);
      }
      size += chunk.length;
    });
    msg.on('end', () => {
      if (first === undefined) return resolve(undefined);
      const all = more ? Buffer.concat(more) : first;
      resolve((all.length > MAX_BODY_BYTES + 1 ? all.subarray(0, MAX_BODY_BYTES + 1) : all).toString('utf8'));
    });
    msg.on('error', reject);
    // A client gone before its body ended: settle, so the request stops counting as in flight.
    msg.on('close', () => {
      if (!msg.complete) reject(new Error('the client closed the connection before the body ended'));
    });
  });
}

/** The protocol's envelope for what is not an HTTP request (bad request line, headers too large, a client that broke off). */
const ANY_ORIGIN = Object.freeze({ 'Access-Control-Allow-Origin': '*' });
const MALFORMED = respond(400, { code: Code.INVALID_PARAM, message: 'malformed HTTP request' }, 'none', ANY_ORIGIN);

function rawAnswer(status: number, reason: string, answer: ScfResponse, requestId: string): string {
  const body = answer.body.replace('"requestId":"none"', `"requestId":"${requestId}"`);
  const headers = { ...answer.headers, 'X-Request-Id': requestId, Connection: 'close', 'Content-Length': String(Buffer.byteLength(body)) };
  return `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

export interface ServiceServer {
  server: Server;
  /** Listens on port (0: any free one) and host; answers the base URL. */
  listen(port: number, host: string): Promise<string>;
  /**
   * Stops accepting connections, lets the requests in flight finish (each
   * answered with `Connection: close`), closes idle keep-alive connections,
   * and after `graceMs` drops whatever is still open. Resolves when the
   * server is closed; answers how many requests were still running at the bound.
   */
  close(graceMs: number): Promise<number>;
  /** Requests read and not yet answered. */
  inFlight(): number;
}

export function createServiceServer(route: RouteRequest): ServiceServer {
  let inFlight = 0;
  let closing = false;

  const send = (res: ServerResponse, answer: ScfResponse) => {
    // Every answer has a headers object of its own (respond() and the admin plane make one each): changed in place.
    const headers: Record<string, string | number> = answer.headers;
    // A 204 has no body. Any other answer says its length, or the headers leave before the body and Node sends it chunked.
    const body = answer.statusCode === 204 ? '' : answer.body;
    if (body !== '') headers['Content-Length'] = Buffer.byteLength(body);
    // While closing, a keep-alive connection ends with its answer (Node would keep it for the next request).
    if (closing) headers.Connection = 'close';
    res.writeHead(answer.statusCode, headers);
    res.end(body);
  };

  const server = createServer((msg, res) => {
    inFlight++;
    const done = () => {
      inFlight--;
      if (closing && inFlight === 0) server.closeIdleConnections();
    };
    readBody(msg)
      .then((body) => route(requestOf(msg, body)))
      .then((answer) => send(res, answer))
      .catch((error: unknown) => {
        // A client that broke off mid-body, or a target no URL parser takes: answer, never crash.
        log({ event: 'http_error', error: errorMessage(error) });
        if (res.headersSent || res.destroyed) return;
        send(res, respond(400, { code: Code.INVALID_PARAM, message: 'malformed HTTP request' }, newRequestId(), ANY_ORIGIN));
      })
      .finally(done);
  });

  // What Node's parser refuses never reaches the handler: it still gets the envelope, not Node's bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    socket.end(rawAnswer(tooLarge ? 431 : 400, tooLarge ? 'Request Header Fields Too Large' : 'Bad Request', MALFORMED, newRequestId()));
  });
  // Clients keep connections for a while (autocannon, browsers); longer than a load balancer's 60 s idle timeout.
  server.keepAliveTimeout = 65_000;

  return {
    server,
    inFlight: () => inFlight,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
        });
      });
    },
    close(graceMs) {
      closing = true;
      return new Promise((resolve) => {
        let left = 0;
        const bound = setTimeout(() => {
          left = inFlight;
          server.closeAllConnections();
        }, graceMs);
        bound.unref();
        server.close(() => {
          clearTimeout(bound);
          resolve(left);
        });
        server.closeIdleConnections();
      });
    },
  };
}

/**
 * Runs the sweeper every `intervalMs` (the timer trigger's period in the
 * cloud), one sweep at a time. Answers a stop function that waits for a
 * sweep under way.
 */
export function startSweeper(rt: Runtime, intervalMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = sweep(rt)
      .then(() => undefined)
      .catch((error: unknown) => log({ event: 'sweep_failed', error: errorMessage(error) }))
      .finally(() => (running = undefined));
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
