/**
 * The one HTTP transport of the clients of Tencent's APIs (IM REST, Cloud API
 * 3.0) and of the webhooks: keep-alive agents per transport (warm invocations
 * reuse the TLS connection), a per-attempt timeout, no redirects, statuses and
 * bodies left to the caller, and failures described without the request (its
 * URL or headers carry the IM usersig or the TC3 Authorization). Retries with
 * backoff live here too, for the APIs whose calls may be repeated.
 *
 * Node's http and https, not an HTTP library: one POST with a JSON or a signed
 * body is all the service sends. axios did it before (issue 25): ~140 KB of
 * every bundle (axios, form-data, follow-redirects, proxy agents) and ~10 ms
 * of the first call that reaches a Tencent API with its code cached, ~40 ms
 * without (it also made Node load undici by probing `fetch` at load).
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';

/** What a POST answered: any status (the caller judges it) and the body. */
export interface TransportResponse {
  status: number;
  /** The body: its text with `rawBody`, else parsed JSON (its text when it is not JSON). */
  data: unknown;
}

export interface PostOptions {
  /** Query parameters, appended to the URL. */
  params?: Record<string, string>;
  headers?: Record<string, string>;
}

/** What the API clients use of an HTTP client: one POST. */
export interface Transport {
  post(url: string, data?: unknown, options?: PostOptions): Promise<TransportResponse>;
}

export interface TransportOptions {
  timeoutMs: number;
  /** Prefix of relative URLs (the IM API's origin). */
  baseURL?: string;
  headers?: Record<string, string>;
  /** The caller sends a body it signed byte for byte and judges the answer's text itself: no JSON either way. */
  rawBody?: boolean;
}

/** A request that got no answer: `code` is Node's (ECONNREFUSED ...) or ECONNABORTED for the timeout, as axios named it. */
export class NoAnswerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NoAnswerError';
  }
}

/** An answer larger than this is refused (IM and Cloud API answers are a few KB; a webhook's is not read). */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * A transport for one API: keep-alive, `timeoutMs` per attempt, every status
 * resolved. Node's https (or http) is loaded at the first POST, not with the
 * module: most requests (the heartbeat above all) never call a Tencent API or a webhook.
 */
export function createTransport(options: TransportOptions): Transport {
  // One keep-alive agent per scheme, made (and its Node module loaded) when first needed.
  const agents: Agents = {};
  return {
    post(url, data, postOptions = {}) {
      return post(agents, options, url, data, postOptions);
    },
  };
}

interface Agents {
  http?: HttpAgent;
  https?: HttpAgent;
}

/**
 * Loads Node's HTTP client now. For a process that stays up and serves many requests (the
 * local gateway, a test file): it pays the load once at start instead of inside the first
 * request that calls a Tencent API. SCF functions leave it to the first POST.
 */
export function loadHttpClient(): void {
  httpModule(false);
  httpModule(true);
}

// require(), not import: what keeps http and https out of module load (esbuild leaves Node's modules to require).
const httpModule = (secure: boolean): Pick<typeof import('node:http'), 'Agent' | 'request'> =>
  secure ? (require('node:https') as typeof import('node:https')) : (require('node:http') as typeof import('node:http'));

function post(agents: Agents, options: TransportOptions, path: string, data: unknown, postOptions: PostOptions): Promise<TransportResponse> {
  const url = new URL(options.baseURL && !/^https?:\/\//i.test(path) ? `${options.baseURL.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}` : path);
  for (const [name, value] of Object.entries(postOptions.params ?? {})) url.searchParams.append(name, value);
  const body = data === undefined ? '' : typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data);
  const headers: Record<string, string> = { accept: 'application/json, text/plain, */*', ...lowerCased(options.headers), ...lowerCased(postOptions.headers) };
  if (!options.rawBody && typeof data === 'object' && data !== null && !Buffer.isBuffer(data)) headers['content-type'] ??= 'application/json';
  headers['content-length'] = String(Buffer.byteLength(body));
  const secure = url.protocol === 'https:';
  const client = httpModule(secure);
  const agent = secure ? (agents.https ??= new client.Agent({ keepAlive: true })) : (agents.http ??= new client.Agent({ keepAlive: true }));

  return new Promise<TransportResponse>((resolve, reject) => {
    const request = client.request(url, { method: 'POST', headers, agent });
    const timer = setTimeout(() => request.destroy(new NoAnswerError('ECONNABORTED', `timeout of ${options.timeoutMs}ms exceeded`)), options.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      const code = (error as { code?: unknown }).code;
      // Node's own messages name the host and port at most, never the path or query (the signed part).
      reject(error instanceof NoAnswerError ? error : new NoAnswerError(typeof code === 'string' ? code : 'network error', error.message));
    };
    request.on('error', fail);
    request.on('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_ANSWER_BYTES) request.destroy(new NoAnswerError('ERR_ANSWER_TOO_LARGE', `answer larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on('error', fail);
      response.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, data: options.rawBody ? text : parsedOrText(text) });
      });
    });
    request.end(body);
  });
}

const lowerCased = (headers: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));

function parsedOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Why a request got no answer (network error, timeout), never the request itself. */
export function noAnswerReason(error: unknown): string {
  return error instanceof NoAnswerError ? `${error.code}: ${error.message}` : String(error);
}

const MAX_BACKOFF_MS = 2000;

/**
 * Wait before retry number `retry` (0-based): exponential with "equal jitter"
 * (half fixed, half random, so retrying containers spread out), capped at 2 s.
 */
export function backoffMs(baseDelayMs: number, retry: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseDelayMs * 2 ** retry);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
