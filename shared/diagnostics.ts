/**
 * check_config's verdicts: each setting is judged without revealing its value
 * (secrets are reported as "set, 32 hex chars", never shown), then the live
 * dependencies are probed: a Redis PING and an IM call signed as the admin.
 * The IM probe costs an IM call, so its verdict is reused for a while.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { authFailed, errorMessage } from './errors';
import type { ImClient } from './im/client';
import { USER_ID } from './ids';
import type { Runtime } from './services';
import { shownUrl } from './events/webhooks';

/** How long an IM verdict is reused: anonymous callers must not be able to spend IM calls. */
export const IM_VERDICT_TTL_MS = 30_000;

type Verdict = { ok: boolean; detail: string };

export interface ConfigReport {
  ok: boolean;
  settings: Record<string, Verdict>;
  redis: Verdict;
  im: Verdict;
  warnings: string[];
}

const judge = (ok: boolean, detail: string): Verdict => ({ ok, detail });

/** A key judged by its shape, never shown: "set, 32 hex characters". */
const secret = (value: string, hexLength: number): Verdict =>
  new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(value)
    ? judge(true, `set, ${hexLength} hex characters`)
    : judge(false, `set, but ${value.length} characters where ${hexLength} hex characters are expected`);

async function timed(label: string, work: () => Promise<Verdict>): Promise<Verdict> {
  const started = performance.now();
  try {
    const verdict = await work();
    return { ...verdict, detail: `${verdict.detail} (${Math.round(performance.now() - started)} ms)` };
  } catch (error) {
    return { ok: false, detail: `${label} failed: ${errorMessage(error)}` };
  }
}

const imVerdicts = new WeakMap<ImClient, { at: number; verdict: Promise<Verdict> }>();

function imVerdict(rt: Runtime): Promise<Verdict> {
  const cached = imVerdicts.get(rt.im);
  if (cached && Date.now() - cached.at < IM_VERDICT_TTL_MS) return cached.verdict;
  const verdict = timed('IM admin signature check', () => rt.im.adminSigCheck());
  imVerdicts.set(rt.im, { at: Date.now(), verdict });
  return verdict;
}

/**
 * Whether the caller presented CHECK_CONFIG_OPERATOR_KEY: false without a key,
 * a code 7 for a wrong one. Hashing first makes the comparison constant-time
 * whatever the lengths.
 */
export function isOperator(rt: Runtime, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = rt.config.operatorKey;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (!expected || !timingSafeEqual(digest(presented), digest(expected))) throw authFailed('operator key does not match');
  return true;
}

export async function checkConfiguration(rt: Runtime): Promise<ConfigReport> {
  const { config } = rt;
  const credentials = config.cloud.credentials();
  const settings: Record<string, Verdict> = {
    LIVE_APP_ID: judge(/^\d{1,12}$/.test(config.live.appId), `${config.live.appId.length} digits`),
    LIVE_BIZID: judge(/^\d{1,10}$/.test(config.live.bizid), `bizid ${config.live.bizid}`),
    LIVE_PUSH_SECRET_KEY: secret(config.live.pushSecretKey, 32),
    CLOUD_API_CREDENTIALS: judge(
      credentials !== undefined,
      credentials?.token ? 'execution role (temporary credentials)' : credentials ? 'CLOUD_API_SECRET_ID/KEY' : 'none: set CLOUD_API_SECRET_ID/KEY or give the function an execution role',
    ),
    // Optional settings: unset is a warning below, not a failure.
    LIVE_CALLBACK_KEY: judge(true, config.live.callbackKey ? 'set' : 'not set: stream callbacks are refused'),
    TRTC_CALLBACK_KEY: judge(true, config.trtc.callbackKey ? 'set' : 'not set: TRTC room callbacks are refused (webrtc_room presence from heartbeats only)'),
    LIVE_PLAY_SECRET_KEY: config.live.playSecretKey ? secret(config.live.playSecretKey, 32) : judge(true, 'not set: play URLs are signed with the push key'),
    LIVE_PUSH_DOMAIN: judge(config.live.pushDomain.length > 0, config.live.pushDomain),
    LIVE_PLAY_DOMAIN: judge(config.live.playDomain.length > 0, config.live.playDomain),
    IM_SDK_APP_ID: judge(Number.isSafeInteger(config.im.sdkAppId) && config.im.sdkAppId > 0, String(config.im.sdkAppId)),
    IM_SECRET_KEY: secret(config.im.secretKey, 64),
    IM_ADMINISTRATOR: judge(USER_ID.test(config.im.administrator), config.im.administrator),
    // One of the values the config schema allows: nothing further to judge.
    IM_NOTIFY_MODE: judge(true, config.im.notifyMode),
    AUTH_MODE: judge(true, config.authMode),
    // Origin and path only: a receiver URL may carry a token in its query.
    WEBHOOK_URL: judge(true, config.webhooks.urls.length > 0 ? config.webhooks.urls.map(shownUrl).join(', ') : 'not set: no webhooks (the event log is still kept)'),
    ADMIN_API_KEY: judge(true, config.adminApiKey ? 'set: the admin API and dashboard answer at /admin/' : 'not set: every /admin path answers 404'),
    // Which storage and room types, never the COS key.
    RECORD_STORAGE: judge(
      true,
      config.recording
        ? `${config.recording.storage.kind === 'cos' ? `cos (${config.recording.storage.bucket}, ${config.recording.storage.region})` : 'vod'}; recorded from their start: ${[...config.recording.autoTypes].join(', ') || 'none'}`
        : 'not set: nothing is recorded',
    ),
  };
  const [redis, im] = await Promise.all([
    timed('Redis PING', async () => ({ ok: (await rt.redis.ping()) === 'PONG', detail: 'PING answered' })),
    imVerdict(rt),
  ]);
  const warnings: string[] = [];
  if (config.authMode === 'demo') {
    warnings.push('AUTH_MODE=demo: anyone can obtain a UserSig for any userID from get_login_info; use jwt or off in production');
  }
  if (!config.trtc.callbackKey) {
    warnings.push('TRTC_CALLBACK_KEY is not set: TRTC room callbacks are refused, so a webrtc_room member who left TRTC stays until its heartbeat times out');
  }
  if (!config.live.callbackKey) {
    warnings.push('LIVE_CALLBACK_KEY is not set: push/disconnect callbacks are refused, so a stopped stream stays seated until its heartbeat times out');
  }
  if (config.recording && !config.trtc.recordingCallbackKey) {
    warnings.push('TRTC_RECORDING_CALLBACK_KEY is not set: TRTC cloud recording callbacks are refused, so webrtc_room files never become recording_ready events');
  }
  const plain = config.webhooks.urls.filter((u) => u.startsWith('http:') && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(u));
  if (plain.length > 0) {
    warnings.push(`WEBHOOK_URL sends events over plain http to ${plain.map(shownUrl).join(', ')}: use https (the signature proves the sender, it does not hide the events)`);
  }
  if (!config.live.playSecretKey) {
    warnings.push('LIVE_PLAY_SECRET_KEY is not set: accelerate URLs shown to room members are signed with the push key and so also allow pushing to that stream');
  }
  const ok = redis.ok && im.ok && Object.values(settings).every((v) => v.ok);
  return { ok, settings, redis, im, warnings };
}
