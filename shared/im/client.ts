/**
 * Tencent IM REST client (docs/protocol.md §4): the room's IM group and the
 * "pushers changed" notification clients reload `get_pushers` on.
 *
 * Over the shared transport (shared/cloud/transport.ts: keep-alive, timeouts,
 * backoff, redaction); the offline stand-in is im/offline.ts. The admin UserSig is signed once and reused until
 * near its expiry: signing per call costs a zlib + HMAC for nothing.
 */
import { randomInt } from 'node:crypto';
import { backoffMs, createTransport, noAnswerReason, sleep } from '../cloud/transport';
import { issueUserSig } from '../sign/usersig';
import { errorMessage } from '../errors';
import { countImCall } from '../metrics/recorder';

export { backoffMs } from '../cloud/transport';

/**
 * `auto`: the system notification old clients read, switching for the life of
 * the container to the custom group message once IM refuses that API for this
 * account (closed to new IM customers since 2026). `both` sends the two.
 */
export type NotifyMode = 'auto' | 'system' | 'custom' | 'both';

export interface ImSettings {
  /** e.g. `https://console.tim.qq.com` (no trailing slash needed). */
  baseUrl: string;
  sdkAppId: number;
  secretKey: string;
  /** The IM admin account the calls are made as; also the owner of every group. */
  administrator: string;
  /** Which channel carries `notifyPusherChange` (system notifications are closed to new IM customers). */
  notifyMode: NotifyMode;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts in total, including the first. */
  maxAttempts: number;
  /** First retry waits about this long; doubles per retry, capped at 2 s. */
  baseDelayMs: number;
}

export interface ImClient {
  /**
   * Creates the room's AVChatRoom group; a group we already own (10025) counts
   * as success. A group id someone else uses is ImError 10021 (GROUP_ID_TAKEN).
   */
  createGroup(groupId: string, name?: string): Promise<void>;
  /** Destroys the group; a group that is already gone (10010) counts as success. */
  destroyGroup(groupId: string): Promise<void>;
  /** Tells the group's members to reload the pusher list, on the configured channel(s). */
  notifyPusherChange(groupId: string): Promise<void>;
  /** Whether IM accepts our admin signature (for `check_config`); never throws. */
  adminSigCheck(): Promise<{ ok: boolean; detail: string }>;
}

/** `errorCode` for a call that got no usable IM answer (network error, timeout). */
export const IM_NO_ANSWER = -1;
/** `errorCode` for an HTTP error status or a body that is not an IM answer. */
export const IM_BAD_ANSWER = -2;

/**
 * An IM call that failed for good: `errorCode` is IM's ErrorCode, or
 * IM_NO_ANSWER / IM_BAD_ANSWER. No protocol code: the endpoint decides what a
 * failure means to its client.
 */
export class ImError extends Error {
  constructor(
    readonly service: string,
    readonly errorCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImError';
  }
}

/** The exact content old clients parse; do not reformat. */
export const PUSHER_CHANGE_CONTENT = '{"cmd":"notifyPusherChange","data":""}';

// Rate limits (60007, 60011, 60018, 60019, 10006, 10023) and IM-internal
// failures (10002, 60008, 70169, 70500): the same request may succeed later.
const RETRYABLE_IM_CODES = new Set([60007, 60011, 60018, 60019, 10006, 10023, 10002, 60008, 70169, 70500]);
/** 10025: the id is in use and we (the administrator) own it: ours to reuse. */
const GROUP_OURS_ALREADY = new Set([10025]);
/** 10021: the id is used by someone else; the caller must pick another id. Not success. */
export const GROUP_ID_TAKEN = 10021;
/** 10010: dissolved or never existed. (10015 "invalid group id" is an error, not "gone".) */
const GROUP_ALREADY_GONE = new Set([10010]);
/**
 * IM's answers when this account may not use an API at all: the command is
 * disabled for this SDKAppID (10026), the request is disabled (60017), the
 * command is not offered (10003), no permission (10007). What `auto` mode
 * takes as "send_group_system_notification is closed to this account".
 */
export const API_REFUSED_CODES: ReadonlySet<number> = new Set([10026, 60017, 10003, 10007]);

const ADMIN_SIG_TTL_SECONDS = 24 * 3600;
const ADMIN_SIG_RENEW_BEFORE_SECONDS = 3600;
/** IM caps a group name at 30 bytes. */
const MAX_GROUP_NAME_BYTES = 30;

type Log = (event: Record<string, unknown>) => void;

interface ImAnswer {
  ActionStatus?: unknown;
  ErrorCode?: unknown;
  ErrorInfo?: unknown;
  [field: string]: unknown;
}

/** One attempt's outcome: an IM answer, or why there is none and whether trying again may help. */
type Attempt = { answer: ImAnswer; errorCode: number } | { failure: string; errorCode: number; retryable: boolean; cause?: unknown };

const random32 = () => randomInt(0, 2 ** 32);

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}

export function createImClient(settings: ImSettings, log: Log = () => {}): ImClient {
  const imHttp = createTransport({ baseURL: settings.baseUrl.replace(/\/+$/, ''), timeoutMs: settings.timeoutMs, headers: { 'Content-Type': 'application/json' } });

  let adminSig: { sig: string; renewAt: number } | undefined;
  function adminUserSig(): string {
    const now = Math.floor(Date.now() / 1000);
    if (!adminSig || now >= adminSig.renewAt) {
      adminSig = {
        sig: issueUserSig({ sdkAppId: settings.sdkAppId, secretKey: settings.secretKey }, settings.administrator, ADMIN_SIG_TTL_SECONDS),
        renewAt: now + ADMIN_SIG_TTL_SECONDS - ADMIN_SIG_RENEW_BEFORE_SECONDS,
      };
    }
    return adminSig.sig;
  }

  async function attempt(service: string, command: string, body: unknown): Promise<Attempt> {
    const params = {
      sdkappid: String(settings.sdkAppId),
      identifier: settings.administrator,
      usersig: adminUserSig(),
      random: String(random32()),
      contenttype: 'json',
    };
    try {
      const res = await imHttp.post(`/v4/${service}/${command}`, body, { params });
      if (res.status === 429 || res.status >= 500) return { failure: `HTTP ${res.status}`, errorCode: IM_BAD_ANSWER, retryable: true };
      if (res.status < 200 || res.status >= 300) return { failure: `HTTP ${res.status}`, errorCode: IM_BAD_ANSWER, retryable: false };
      const answer: unknown = res.data;
      if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
        return { failure: 'answer is not a JSON object', errorCode: IM_BAD_ANSWER, retryable: false };
      }
      const imAnswer = answer as ImAnswer;
      const code = typeof imAnswer.ErrorCode === 'number' ? imAnswer.ErrorCode : imAnswer.ActionStatus === 'OK' ? 0 : IM_BAD_ANSWER;
      return { answer: imAnswer, errorCode: code };
    } catch (error) {
      // Network errors and timeouts: the message says which, never the URL (it holds the usersig).
      return { failure: noAnswerReason(error), errorCode: IM_NO_ANSWER, retryable: true, cause: error };
    }
  }

  /**
   * Calls `service/command`, retrying what may pass later. Resolves with IM's
   * answer when it is OK or its ErrorCode is in `acceptedCodes`; else throws ImError.
   */
  async function call(service: string, command: string, body: unknown, acceptedCodes: ReadonlySet<number> = new Set(), maxAttempts = settings.maxAttempts): Promise<ImAnswer> {
    const attempts = Math.max(1, Math.floor(maxAttempts));
    for (let n = 1; ; n++) {
      const started = Date.now();
      const result = await attempt(service, command, body);
      log({ event: 'im_call', command, attempt: n, errorCode: result.errorCode, ms: Date.now() - started });

      let retryable: boolean;
      let why: string;
      let cause: unknown;
      if ('answer' in result) {
        const ok = result.answer.ActionStatus === 'OK' && result.errorCode === 0;
        if (ok || acceptedCodes.has(result.errorCode)) {
          countImCall(command, 'ok');
          return result.answer;
        }
        retryable = RETRYABLE_IM_CODES.has(result.errorCode);
        why = `IM error ${result.errorCode}${typeof result.answer.ErrorInfo === 'string' ? ` (${result.answer.ErrorInfo})` : ''}`;
      } else {
        retryable = result.retryable;
        why = result.failure;
        cause = result.cause;
      }
      if (!retryable || n >= attempts) {
        countImCall(command, 'error');
        throw new ImError(service, result.errorCode, `${service}/${command} failed after ${n} attempt(s): ${why}`, { cause });
      }
      await sleep(backoffMs(settings.baseDelayMs, n - 1));
    }
  }

  const groupSvc = 'group_open_http_svc';

  /** `auto` mode: set once IM refused the system notification API; the container sends custom messages from then on. */
  let systemRefused = false;

  const sendSystemNotification = (groupId: string) => call(groupSvc, 'send_group_system_notification', { GroupId: groupId, Content: PUSHER_CHANGE_CONTENT });

  // One Random for all attempts of this notice: IM drops a repeat with the same Random within 5 minutes.
  const sendCustomMessage = (groupId: string) =>
    call(groupSvc, 'send_group_msg', {
      GroupId: groupId,
      Random: random32(),
      MsgBody: [{ MsgType: 'TIMCustomElem', MsgContent: { Data: PUSHER_CHANGE_CONTENT, Desc: 'notifyPusherChange', Ext: '' } }],
    });

  return {
    async createGroup(groupId, name) {
      await call(
        groupSvc,
        'create_group',
        {
          Owner_Account: settings.administrator,
          Type: 'AVChatRoom',
          GroupId: groupId,
          Name: truncateUtf8(name && name.length > 0 ? name : groupId, MAX_GROUP_NAME_BYTES),
        },
        GROUP_OURS_ALREADY,
      );
    },

    async destroyGroup(groupId) {
      await call(groupSvc, 'destroy_group', { GroupId: groupId }, GROUP_ALREADY_GONE);
    },

    async notifyPusherChange(groupId) {
      if (settings.notifyMode === 'auto') {
        if (!systemRefused) {
          try {
            await sendSystemNotification(groupId);
            return;
          } catch (error) {
            if (!(error instanceof ImError && API_REFUSED_CODES.has(error.errorCode))) throw error;
            if (!systemRefused) {
              systemRefused = true;
              log({ event: 'im_notify_fallback', from: 'send_group_system_notification', to: 'send_group_msg', errorCode: error.errorCode, reason: 'IM refuses system notifications for this account; custom group messages from now on (this container)' });
            }
          }
        }
        await sendCustomMessage(groupId);
        return;
      }
      const sends: Promise<unknown>[] = [];
      if (settings.notifyMode !== 'custom') sends.push(sendSystemNotification(groupId));
      if (settings.notifyMode !== 'system') sends.push(sendCustomMessage(groupId));
      // Both channels run to the end (each with its own retries) before a failure is reported.
      const outcomes = await Promise.allSettled(sends);
      const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) throw failed.reason;
    },

    async adminSigCheck() {
      try {
        // Cheapest call that needs a valid admin signature; one attempt, a check must answer fast.
        await call('im_open_login_svc', 'account_check', { CheckItem: [{ UserID: settings.administrator }] }, new Set(), 1);
        return { ok: true, detail: 'IM accepted the administrator signature' };
      } catch (error) {
        return { ok: false, detail: errorMessage(error) };
      }
    },
  };
}
