/**
 * Legacy live REST API (`common_access`, PROTOCOL.md §4): stream status for
 * heartbeat eviction and stream mixing for `merge_stream`. Every call is
 * signed with `t` = expiry (now + 60 s) and `sign` = md5(APIKey + t).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { cloudApiFailed } from '../errors';

export interface LiveApiSettings {
  /** e.g. `http://fcgi.video.qcloud.com/common_access`. */
  baseUrl: string;
  appId: string;
  apiKey: string;
  timeoutMs: number;
}

export interface LiveApiClient {
  /** Whether the stream is being pushed right now (`Live_Channel_GetStatus` status 1). */
  isStreamLive(streamId: string): Promise<boolean>;
  /** Posts the client's merge parameters to `Mix_StreamV2` and returns the live API's answer. */
  startMixStream(mergeParams: unknown): Promise<unknown>;
}

type Log = (event: Record<string, unknown>) => void;

/** How long a signed request stays valid; the API rejects a `t` in the past. */
const SIGN_VALID_SECONDS = 60;
const LIVE_STATUS_ON = 1;

/** `t` and `sign` for a request made at `nowSeconds`. */
export function liveApiSignature(apiKey: string, nowSeconds = Math.floor(Date.now() / 1000)): { t: string; sign: string } {
  const t = String(nowSeconds + SIGN_VALID_SECONDS);
  return { t, sign: createHash('md5').update(apiKey + t, 'utf8').digest('hex') };
}

export function createLiveApiClient(settings: LiveApiSettings, log: Log = () => {}): LiveApiClient {
  const client: AxiosInstance = axios.create({
    timeout: settings.timeoutMs,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    // Judged below; axios errors would carry the signed URL into whatever logs them.
    validateStatus: () => true,
    maxRedirects: 0,
  });

  async function request(method: 'GET' | 'POST', name: string, extraParams: Record<string, string>, body?: unknown): Promise<unknown> {
    const params = { appid: settings.appId, interface: name, ...liveApiSignature(settings.apiKey), ...extraParams };
    const started = Date.now();
    let status: number | undefined;
    try {
      const res = await client.request({
        method,
        url: settings.baseUrl,
        params,
        // A string was already validated as JSON by the handler: send it untouched.
        data: method === 'POST' ? (typeof body === 'string' ? body : JSON.stringify(body ?? {})) : undefined,
        headers: method === 'POST' ? { 'Content-Type': 'application/json' } : undefined,
        transformRequest: (data: unknown) => data,
      });
      status = res.status;
      if (res.status < 200 || res.status >= 300) throw cloudApiFailed(name, `HTTP ${res.status}`);
      let answer: unknown = res.data;
      if (typeof answer === 'string') {
        try {
          answer = JSON.parse(answer);
        } catch {
          throw cloudApiFailed(name, 'answer is not JSON');
        }
      }
      return answer;
    } catch (error) {
      if (axios.isAxiosError(error)) throw cloudApiFailed(name, `${error.code ?? 'network error'}: ${error.message}`);
      throw error;
    } finally {
      log({ event: 'live_call', interface: name, httpStatus: status, ms: Date.now() - started });
    }
  }

  return {
    async isStreamLive(streamId) {
      const answer = (await request('GET', 'Live_Channel_GetStatus', { 'Param.s.channel_id': streamId })) as {
        ret?: unknown;
        message?: unknown;
        output?: unknown;
      } | null;
      if (answer === null || typeof answer !== 'object') throw cloudApiFailed('Live_Channel_GetStatus', 'answer is not an object');
      if (answer.ret !== 0) {
        throw cloudApiFailed('Live_Channel_GetStatus', `ret ${String(answer.ret)}${typeof answer.message === 'string' ? ` (${answer.message})` : ''}`);
      }
      const channels = Array.isArray(answer.output) ? (answer.output as unknown[]) : [];
      // Some answers carry numbers as strings; `Number` accepts both.
      return channels.some((c) => c !== null && typeof c === 'object' && Number((c as { status?: unknown }).status) === LIVE_STATUS_ON);
    },

    async startMixStream(mergeParams) {
      return request('POST', 'Mix_StreamV2', {}, mergeParams);
    },
  };
}

/** For deployments without live API credentials: nothing is live, mixing is simulated. */
export function createOfflineLiveApiClient(log: Log): LiveApiClient {
  return {
    async isStreamLive(streamId) {
      log({ event: 'live_call_skipped', interface: 'Live_Channel_GetStatus', streamId, reason: 'live API offline' });
      return false;
    },
    async startMixStream() {
      log({ event: 'live_call_skipped', interface: 'Mix_StreamV2', reason: 'live API offline' });
      return { code: 0, message: 'simulated' };
    },
  };
}
