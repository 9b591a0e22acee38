/**
 * The live platform's push / disconnect callbacks (TENCENT.md §4, doc
 * 267/47025): HTTP POST, JSON body, `event_type` 1 = push started, 0 = push
 * stopped, `sequence` shared by one push's start and stop, authenticated by
 * `t` (expiry, Unix seconds) and `sign = md5(callbackKey + t)`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, Code } from '../errors';
import type { StreamEvent } from '../rooms/store';

const refused = (why: string) => new AppError(Code.AUTH_FAILED, `callback refused: ${why}`, 403);

const integerOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;

/**
 * Throws HTTP 403 unless `sign` is md5(key + t) (compared in constant time),
 * `t` has not passed and `t` is at most `maxAheadSeconds` ahead. The
 * signature covers `t` alone, not the body: it proves that someone holding
 * the key signed some callback expiring at `t`, nothing about this body.
 * Anyone who saw one callback can send any other body with its t and sign
 * until t passes, so t's distance is what bounds a captured signature's use
 * (Tencent sets it ~10 minutes ahead; a far t would be a key for a long time).
 */
export function verifyCallbackSignature(key: string | undefined, body: Record<string, unknown>, maxAheadSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): void {
  if (!key) throw refused('LIVE_CALLBACK_KEY is not set');
  const t = integerOf(body.t);
  const sign = body.sign;
  if (t === undefined || typeof sign !== 'string') throw refused('t and sign are required');
  const expected = Buffer.from(createHash('md5').update(key + String(body.t), 'utf8').digest('hex'));
  const given = Buffer.from(sign.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused('sign does not match');
  if (t < nowSeconds) throw refused('t has expired');
  if (t > nowSeconds + maxAheadSeconds) throw refused(`t is more than ${maxAheadSeconds} s ahead (LIVE_CALLBACK_MAX_AHEAD_SECONDS)`);
}

/** Stream names this service signs: `{bizid}_...` (docs/protocol.md §4). */
const STREAM_ID = /^[A-Za-z0-9_@.:-]{1,200}$/;
const SEQUENCE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The event, or why it is none of this service's business (another bizid, a
 * stream it did not sign, another event type, no sequence to deduplicate by).
 */
export function readStreamEvent(body: Record<string, unknown>, bizid: string, nowSeconds = Math.floor(Date.now() / 1000)): StreamEvent | { ignored: string } {
  const eventType = integerOf(body.event_type);
  if (eventType !== 0 && eventType !== 1) return { ignored: `event_type ${String(body.event_type)}` };
  const bodyBizid = body.bizid === undefined ? undefined : String(body.bizid);
  const streamId = body.stream_id;
  if ((bodyBizid !== undefined && bodyBizid !== bizid) || typeof streamId !== 'string' || !STREAM_ID.test(streamId) || !streamId.startsWith(`${bizid}_`)) {
    return { ignored: 'not a stream of this bizid' };
  }
  const sequence = typeof body.sequence === 'number' ? String(body.sequence) : body.sequence;
  if (typeof sequence !== 'string' || !SEQUENCE.test(sequence)) return { ignored: 'no usable sequence' };
  return { streamId, sequence, started: eventType === 1, eventTime: integerOf(body.event_time) ?? nowSeconds };
}
