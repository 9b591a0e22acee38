/**
 * The one HTTP transport of the clients of Tencent's APIs (IM REST, Cloud API
 * 3.0): keep-alive agents per container (warm invocations reuse the TLS
 * connection), a per-attempt timeout, no redirects, statuses and bodies left
 * to the caller, and failures described without the request (its URL or
 * headers carry the IM usersig or the TC3 Authorization). Retries with
 * backoff live here too, for the APIs whose calls may be repeated.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';

/** An axios instance for one API: keep-alive, `timeoutMs` per attempt, every status resolved. */
export function createTransport(options: { timeoutMs: number; baseURL?: string; headers?: Record<string, string>; rawBody?: boolean }): AxiosInstance {
  const config: CreateAxiosDefaults = {
    baseURL: options.baseURL,
    timeout: options.timeoutMs,
    headers: options.headers,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    // Statuses are judged by the caller: axios's own errors carry the request (signed URL, Authorization).
    validateStatus: () => true,
    maxRedirects: 0,
  };
  // The caller sends a body it signed byte for byte and judges the answer's text itself.
  if (options.rawBody) Object.assign(config, { transformRequest: (data: unknown) => data, transformResponse: (data: unknown) => data });
  return axios.create(config);
}

/** Why a request got no answer (network error, timeout), never the request itself. */
export function noAnswerReason(error: unknown): string {
  return axios.isAxiosError(error) ? `${error.code ?? 'network error'}: ${error.message}` : String(error);
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
