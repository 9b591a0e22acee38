/**
 * The one HTTP transport of the clients of Tencent's APIs (IM REST, Cloud API
 * 3.0): keep-alive agents per container (warm invocations reuse the TLS
 * connection), a per-attempt timeout, no redirects, statuses and bodies left
 * to the caller, and failures described without the request (its URL or
 * headers carry the IM usersig or the TC3 Authorization). Retries with
 * backoff live here too, for the APIs whose calls may be repeated.
 */
import type { AxiosRequestConfig, AxiosResponse, CreateAxiosDefaults } from 'axios';

/** What the API clients use of an HTTP client: one POST. */
export interface Transport {
  post(url: string, data?: unknown, config?: AxiosRequestConfig): Promise<AxiosResponse>;
}

/**
 * A transport for one API: keep-alive, `timeoutMs` per attempt, every status
 * resolved. axios (and Node's http, https) is loaded at the first POST, not with the module: most
 * requests (the heartbeat above all) never call a Tencent API or a webhook, and
 * loading axios (with Node's fetch, which its fetch adapter probes at load) was
 * ~20 ms of every cold start (bench cold-start section, docs/performance.md).
 */
export function createTransport(options: { timeoutMs: number; baseURL?: string; headers?: Record<string, string>; rawBody?: boolean }): Transport {
  let instance: Transport | undefined;
  return {
    post(url, data, config) {
      instance ??= axiosInstance(options);
      return instance.post(url, data, config);
    },
  };
}

/**
 * Loads axios now. For a process that stays up and serves many requests (the
 * local gateway): it pays the load once at start instead of inside the first
 * request that calls a Tencent API (tens of ms, more on a loaded machine, with
 * the event loop blocked meanwhile). SCF functions leave it to the first POST.
 */
export function loadHttpClient(): typeof import('axios').default {
  // A require() (not an import) is what keeps axios out of module load: esbuild wraps it to run on first call.
  return (require('axios') as typeof import('axios')).default;
}

function axiosInstance(options: { timeoutMs: number; baseURL?: string; headers?: Record<string, string>; rawBody?: boolean }): Transport {
  const axios = loadHttpClient();
  const http = require('node:http') as typeof import('node:http');
  const https = require('node:https') as typeof import('node:https');
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
  // axios marks its errors (isAxiosError); checked by the flag so this needs no axios loaded.
  const axiosError = error as { isAxiosError?: unknown; code?: string; message?: string } | null;
  return axiosError?.isAxiosError === true ? `${axiosError.code ?? 'network error'}: ${axiosError.message}` : String(error);
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
