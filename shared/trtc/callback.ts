/**
 * TRTC room callbacks (TENCENT.md §5, docs 647/51586 and 647/90450): HTTP
 * POST, JSON body, header `Sign` = base64(HMAC-SHA256(callback key, raw
 * body)). Room events (EventGroupId 1): 102 room dismissed, 103 user entered,
 * 104 user left. Retried at once, then every 10 s for a minute, so the same
 * event may come several times and late; the store orders events per user
 * per room by their event time (trtcEvent-*.lua).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError, Code } from '../errors';
import { USER_ID } from '../ids';

const refused = (why: string) => new AppError(Code.AUTH_FAILED, `callback refused: ${why}`, 403);

/**
 * Throws HTTP 403 unless `sign` is exactly base64(HMAC-SHA256(key, rawBody))
 * in its canonical form (standard alphabet, `=` padding, nothing else),
 * compared in constant time. The text is compared, not its decoding:
 * Node's base64 decoder skips characters outside the alphabet and ignores
 * the last character's unused bits, so decoding would accept a valid Sign
 * with junk appended or with those bits changed.
 */
export function verifyTrtcSignature(key: string | undefined, rawBody: string, sign: string | undefined): void {
  if (!key) throw refused('TRTC_CALLBACK_KEY is not set');
  if (typeof sign !== 'string' || sign === '') throw refused('the Sign header is missing');
  const expected = Buffer.from(createHmac('sha256', key).update(rawBody, 'utf8').digest('base64'), 'latin1');
  const given = Buffer.from(sign, 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused('Sign does not match');
}

/**
 * How far ahead of the service clock an event time may be. Callbacks order
 * each user's events by their time (trtcEvent-*.lua), so an event dated in
 * the future would make every real event after it `stale` until that time
 * passes; Tencent's and SCF's clocks agree to well within this.
 */
export const TRTC_EVENT_MAX_AHEAD_MS = 60_000;

export type TrtcEventKind = 'dismissed' | 'entered' | 'left';

export interface TrtcEvent {
  kind: TrtcEventKind;
  /** The room id as the service keeps it (a numeric RoomId in decimal). */
  roomId: string;
  /** '' for a room event (dismissed). */
  userId: string;
  /** When it happened, ms (EventMsTs, else EventTs in seconds). */
  at: number;
  /** TRTC's reason code (enter/exit), kept for the log. */
  reason: unknown;
}

const KINDS: Record<number, TrtcEventKind> = { 102: 'dismissed', 103: 'entered', 104: 'left' };
const ROOM_ID = /^[A-Za-z0-9_@.:-]{1,48}$/;

const integerOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : undefined;

/** The event, or why it is none of this service's business (another group or type, another app, a room id it never issues). */
export function readTrtcEvent(body: Record<string, unknown>, sdkAppId: number, headerAppId: string | undefined, nowMs = Date.now()): TrtcEvent | { ignored: string } {
  if (headerAppId !== undefined && headerAppId !== String(sdkAppId)) return { ignored: 'another SdkAppId' };
  if (integerOf(body.EventGroupId) !== 1) return { ignored: `EventGroupId ${String(body.EventGroupId)}` };
  const kind = KINDS[integerOf(body.EventType) ?? -1];
  if (!kind) return { ignored: `EventType ${String(body.EventType)}` };
  const info = body.EventInfo;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return { ignored: 'no EventInfo' };
  const fields = info as Record<string, unknown>;
  const rawRoom = fields.RoomId;
  const roomId = typeof rawRoom === 'number' && Number.isSafeInteger(rawRoom) ? String(rawRoom) : rawRoom;
  if (typeof roomId !== 'string' || !ROOM_ID.test(roomId)) return { ignored: 'not a room id this service issues' };
  const ms = integerOf(fields.EventMsTs);
  const seconds = integerOf(fields.EventTs);
  const at = ms ?? (seconds !== undefined ? seconds * 1000 : undefined);
  if (at === undefined) return { ignored: 'no EventTs to order it by' };
  if (at > nowMs + TRTC_EVENT_MAX_AHEAD_MS) return { ignored: `EventTs ${at - nowMs} ms ahead of the service clock (at most ${TRTC_EVENT_MAX_AHEAD_MS})` };
  let userId = '';
  if (kind !== 'dismissed') {
    if (typeof fields.UserId !== 'string' || !USER_ID.test(fields.UserId)) return { ignored: 'no usable UserId' };
    userId = fields.UserId;
  }
  return { kind, roomId, userId, at, reason: fields.Reason };
}
