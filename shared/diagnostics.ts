/**
 * check_config's verdicts: each setting is judged without revealing its value
 * (secrets are reported as "set, 32 hex chars", never shown), then the live
 * dependencies are probed: a Redis PING and an IM call signed as the admin.
 * The IM probe costs an IM call, so its verdict is reused for a while.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { authFailed, errorMessage } from './errors';
import type { ImClient } from './im/client';
import type { Runtime } from './runtime';

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
  // Everything here passed validation at load time; the verdicts say what was found.
  const settings: Record<string, Verdict> = {
    LIVE_APP_ID: { ok: true, detail: `${config.live.appId.length} digits` },
    LIVE_BIZID: { ok: true, detail: `bizid ${config.live.bizid}` },
    LIVE_PUSH_SECRET_KEY: { ok: true, detail: 'set, 32 hex characters' },
    CLOUD_API_CREDENTIALS: {
      ok: config.cloud.credentials() !== undefined,
      detail: config.cloud.credentials()?.token ? 'execution role (temporary credentials)' : config.cloud.credentials() ? 'CLOUD_API_SECRET_ID/KEY' : 'none: set CLOUD_API_SECRET_ID/KEY or give the function an execution role',
    },
    LIVE_CALLBACK_KEY: { ok: true, detail: config.live.callbackKey ? 'set' : 'not set: stream callbacks are refused' },
    LIVE_PLAY_SECRET_KEY: { ok: true, detail: config.live.playSecretKey ? 'set, 32 hex characters' : 'not set: play URLs are signed with the push key' },
    LIVE_PUSH_DOMAIN: { ok: true, detail: config.live.pushDomain },
    LIVE_PLAY_DOMAIN: { ok: true, detail: config.live.playDomain },
    IM_SDK_APP_ID: { ok: true, detail: String(config.im.sdkAppId) },
    IM_SECRET_KEY: { ok: true, detail: 'set, 64 hex characters' },
    IM_ADMINISTRATOR: { ok: true, detail: config.im.administrator },
    IM_NOTIFY_MODE: { ok: true, detail: config.im.notifyMode },
    AUTH_MODE: { ok: true, detail: config.authMode },
  };
  const [redis, im] = await Promise.all([
    timed('Redis PING', async () => ({ ok: (await rt.redis.ping()) === 'PONG', detail: 'PING answered' })),
    imVerdict(rt),
  ]);
  const warnings: string[] = [];
  if (config.authMode === 'demo') {
    warnings.push('AUTH_MODE=demo: anyone can obtain a UserSig for any userID from get_login_info; use jwt or off in production');
  }
  if (!config.live.callbackKey) {
    warnings.push('LIVE_CALLBACK_KEY is not set: push/disconnect callbacks are refused, so a stopped stream stays seated until its heartbeat times out');
  }
  if (!config.live.playSecretKey) {
    warnings.push('LIVE_PLAY_SECRET_KEY is not set: accelerate URLs shown to room members are signed with the push key and so also allow pushing to that stream');
  }
  const ok = redis.ok && im.ok && Object.values(settings).every((v) => v.ok);
  return { ok, settings, redis, im, warnings };
}
