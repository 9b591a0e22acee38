/**
 * A small Tencent Cloud API 3.0 client: one POST per action, signed
 * TC3-HMAC-SHA256 (doc 213/30654), for any service (`live`, `trtc`).
 *
 * Why not `tencentcloud-sdk-nodejs-common`: it adds ~380 KB to every bundle
 * (node-fetch 2 -> whatwg-url/tr46, bignumber.js), which breaks the 600 KB
 * bundle budget (the router is ~565 KB without it); and it derives the signing
 * service from the endpoint's first label (`endpoint.split(".")[0]`), so it
 * cannot sign for `live` while talking to CLOUD_API_BASE_URL (the loopback
 * fake, the local gateway). Signing is 30 lines of node:crypto; the transport
 * (keep-alive, timeout, redaction) is the one the IM client uses (transport.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import { AppError, Code } from '../errors';
import { createTransport, noAnswerReason } from './transport';
import { countCloudCall } from '../metrics/recorder';
import type { CloudCredentials } from './credentials';


export interface CloudApiSettings {
  /** Every service on this origin (tests, local gateway), else `https://<service>.tencentcloudapi.com`. */
  baseUrl: string | undefined;
  /** `X-TC-Region`; left out when unset (live needs none). */
  region: string | undefined;
  timeoutMs: number;
  /** Read at every call: SCF may renew an execution role's temporary credentials. */
  credentials: () => CloudCredentials | undefined;
}

/** One service at one API version, e.g. `live` 2018-08-01. */
export interface CloudService {
  /** Calls `action` and resolves with its `Response`; throws a CloudApiError on any failure (the caller decides what it means). */
  call(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/**
 * A Cloud API 3.0 call that failed: an error answer (`errorCode` is Tencent's,
 * e.g. `AuthFailure.SignatureFailure`), no answer, or one that makes no sense.
 * Not a protocol error: the endpoint that made the call decides what a client
 * sees (merge_stream: code 5004, HTTP 502), the sweeper that a stream is still up.
 */
export class CloudApiError extends Error {
  constructor(
    /** `<service> <action>`, e.g. `live DescribeLiveStreamState`. */
    readonly api: string,
    why: string,
    readonly errorCode?: string,
    readonly requestId?: string,
    cause?: unknown,
  ) {
    super(`${api} failed: ${why}`, cause === undefined ? undefined : { cause });
    this.name = 'CloudApiError';
  }
}

type Log = (event: Record<string, unknown>) => void;

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The `Authorization` header of a POST with a JSON body (doc 213/30654, "signature v3"). */
export function tc3Authorization(input: {
  credentials: CloudCredentials;
  service: string;
  host: string;
  payload: string;
  timestamp: number;
}): string {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const signedHeaders = 'content-type;host';
  const canonicalRequest = ['POST', '/', '', `content-type:application/json; charset=utf-8\nhost:${input.host}\n`, signedHeaders, sha256Hex(input.payload)].join('\n');
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${input.credentials.secretKey}`, date), input.service), 'tc3_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return `TC3-HMAC-SHA256 Credential=${input.credentials.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}


export function createCloudApi(settings: CloudApiSettings, log: Log = () => {}) {
  // The signed payload goes out byte for byte; a body that is not JSON is judged below, not parsed into a string result.
  const transport = createTransport({ timeoutMs: settings.timeoutMs, rawBody: true });

  return {
    /**
     * A client for `service` at `version`; the same credentials and transport for every service.
     * `region` overrides CLOUD_API_REGION for a service that requires one (trtc).
     */
    service(service: string, version: string, options: { region?: string } = {}): CloudService {
      const region = options.region ?? settings.region;
      // Cloud API 3.0 takes every action at `POST /` (the path a TC3 signature covers): an origin, not a path.
      const url = new URL('/', settings.baseUrl ?? `https://${service}.tencentcloudapi.com`);
      return {
        async call(action, params) {
          const credentials = settings.credentials();
          if (!credentials) {
            throw new AppError(
              Code.CONFIG_INVALID,
              'configuration invalid: CLOUD_API_SECRET_ID and CLOUD_API_SECRET_KEY are required outside an SCF execution role (TENCENTCLOUD_SECRETID/SECRETKEY)',
              500,
            );
          }
          const payload = JSON.stringify(params);
          const timestamp = Math.floor(Date.now() / 1000);
          const headers: Record<string, string> = {
            Authorization: tc3Authorization({ credentials, service, host: url.host, payload, timestamp }),
            'Content-Type': 'application/json; charset=utf-8',
            'X-TC-Action': action,
            'X-TC-Timestamp': String(timestamp),
            'X-TC-Version': version,
          };
          if (region) headers['X-TC-Region'] = region;
          if (credentials.token) headers['X-TC-Token'] = credentials.token;
          const started = Date.now();
          let status: number | undefined;
          let errorCode: string | undefined;
          let outcome: 'ok' | 'error' = 'error';
          try {
            let res;
            try {
              res = await transport.post(url.toString(), payload, { headers });
            } catch (error) {
              throw new CloudApiError(`${service} ${action}`, noAnswerReason(error), undefined, undefined, error);
            }
            status = res.status;
            if (res.status < 200 || res.status >= 300) throw new CloudApiError(`${service} ${action}`, `HTTP ${res.status}`);
            let answer: { Response?: Record<string, unknown> & { Error?: { Code?: unknown; Message?: unknown }; RequestId?: unknown } };
            try {
              answer = JSON.parse(String(res.data)) as typeof answer;
            } catch (error) {
              throw new CloudApiError(`${service} ${action}`, 'answer is not JSON', undefined, undefined, error);
            }
            const response = answer?.Response;
            if (!response || typeof response !== 'object') throw new CloudApiError(`${service} ${action}`, 'answer has no Response');
            if (response.Error) {
              errorCode = String(response.Error.Code);
              throw new CloudApiError(`${service} ${action}`, `${errorCode} (${String(response.Error.Message ?? '')})`, errorCode, response.RequestId as string | undefined);
            }
            outcome = 'ok';
            return response;
          } finally {
            countCloudCall(service, action, outcome);
            log({ event: 'cloud_call', service, action, httpStatus: status, errorCode, ms: Date.now() - started });
          }
        },
      };
    },
  };
}

export type CloudApi = ReturnType<typeof createCloudApi>;
