/**
 * The admin API's routes: path, method, input and output schemas, result
 * codes and one `run` each, like the room endpoints' definitions. The
 * handler (handler.ts) checks the key and the input; `npm run docs:api`
 * renders this table into docs/admin.md.
 */
import { z } from 'zod';
import { ROOM_TYPES, type RoomType } from '../config';
import { AppError, Code, errorMessage } from '../errors';
import type { HttpRequest } from '../http/event';
import { intLike, roomId, roomInfo, text, userId } from '../http/fields';
import { readLatestEvents } from '../events/latest';
import { appendEvent, MAX_READ_LIMIT, parseEventRoom, readEvents, SERVICE_ROOM, type EventRoom } from '../events/log';
import { listDeadLetters, redriveDeadLetters, webhookStatus } from '../events/webhooks';
import { performEffect } from '../rooms/effects';
import type { RoomCursor } from '../rooms/admin-store';
import type { Runtime } from '../services';
import { flushMetrics } from '../metrics/recorder';
import { METRICS_CONTENT_TYPE, metricsText } from '../metrics/exposition';
import { MAX_USAGE_BUCKETS, usage, usageCsv } from '../metrics/usage';
import { metricSeries, SERIES_RANGES } from '../metrics/series';
import { requestRecording } from '../recording/perform';
import { listRecordings } from '../recording/listing';
import type { RecordingState } from '../rooms/recording-store';

export interface AdminCall<I> {
  input: I;
  rt: Runtime;
  req: HttpRequest;
}

export interface AdminRoute<S extends z.ZodType = z.ZodType> {
  /** A short name for logs and the reference (`list_rooms`). */
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** `/admin/...`; `{name}` segments are path parameters (input fields). */
  path: string;
  summary: string;
  /** Path parameters plus the query (GET, DELETE) or the JSON body (POST). */
  input: S;
  output: z.ZodObject;
  /** Result codes besides 0 and those every admin route may answer (1, 401, 404, 405, 413, 500, 5002, 5003). */
  codes: readonly { code: Code; status: number; when: string }[];
  /** A route that may answer something other than the JSON envelope says what, for the reference. */
  textAnswer?: string;
  run(call: AdminCall<z.output<S>>): Promise<Record<string, unknown> | TextAnswer | void>;
}

/** An answer sent as is, not in the JSON envelope (the metrics exposition, a CSV). */
export class TextAnswer {
  constructor(
    readonly contentType: string,
    readonly body: string,
  ) {}
}

const route = <S extends z.ZodType>(def: AdminRoute<S>): AdminRoute => def as unknown as AdminRoute;

const roomType = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .refine((t): t is RoomType => (ROOM_TYPES as readonly string[]).includes(t), `must be one of ${ROOM_TYPES.join(', ')}`)
  .transform((t) => t as RoomType)
  .describe(`room type: ${ROOM_TYPES.join(', ')}`);

const roomPath = z.object({ roomType, roomID: roomId });

/** `<roomType>/<roomID>` in a query (`?room=`). */
const roomRef = text()
  .transform((value, ctx) => {
    const slash = value.indexOf('/');
    const parsed = roomPath.safeParse({ roomType: value.slice(0, slash), roomID: value.slice(slash + 1) });
    if (slash < 0 || !parsed.success) {
      ctx.addIssue({ code: 'custom', message: `must be <roomType>/<roomID> (${parsed.success ? 'no /' : parsed.error.issues[0]!.path.join('.') + ' ' + parsed.error.issues[0]!.message})` });
      return z.NEVER;
    }
    return { type: parsed.data.roomType, roomId: parsed.data.roomID };
  })
  .describe('a room as <roomType>/<roomID>');

/** `<roomType>/<roomID>` or `service/-` (the service's own events) in GET /admin/events. */
const eventRoomRef = text()
  .transform((value, ctx): EventRoom => {
    if (value === `${SERVICE_ROOM.type}/${SERVICE_ROOM.id}`) return SERVICE_ROOM;
    if (value.startsWith(`${SERVICE_ROOM.type}/`)) {
      // service/log (service/log.<p>): the events_lost events.
      try {
        return parseEventRoom(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: errorMessage(error).replace(/^room /, '') });
        return z.NEVER;
      }
    }
    const parsed = roomRef.safeParse(value);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `must be <roomType>/<roomID> or service/- (${parsed.error.issues[0]!.message.replace(/^must be <roomType>\/<roomID> /, '')})` });
      return z.NEVER;
    }
    return { type: parsed.data.type, id: parsed.data.roomId };
  })
  .describe('only the events of this room (<roomType>/<roomID>), or service/- for service-wide ones, or service/log (ROOM_PARTITIONS > 1: service/log.<partition>) for events_lost');

/** A moment: ISO 8601 (with a time zone or Z) or ms since the epoch. */
const moment = text()
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time or ms since the epoch' });
      return z.NEVER;
    }
    return ms;
  });

/** Bans last 1 second to 365 days. */
const MAX_BAN_SECONDS = 365 * 24 * 3600;

// ---------------------------------------------------------------- cursor

/** The list's cursor, opaque to clients: base64url of `<type>\n<score>\n<roomID>`. */
export const encodeCursor = (c: RoomCursor) => Buffer.from(`${c.type}\n${c.score}\n${c.roomId}`, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): RoomCursor {
  const [type, score, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('\n');
  if (rest.length > 0 || !(ROOM_TYPES as readonly string[]).includes(type ?? '') || !/^\d{1,16}$/.test(score ?? '') || !roomId.safeParse(id).success) {
    throw new AppError(Code.INVALID_PARAM, 'cursor is not a cursor this API answered (pass `next` of the previous page as is)', 400);
  }
  return { type: type as RoomType, score: score!, roomId: id! };
}

// ---------------------------------------------------------------- shapes

const recordingState = z
  .enum(['off', 'starting', 'recording', 'stopping', 'failed'])
  .describe('recording of the room (only with RECORD_STORAGE): off; starting (asked, no task yet); recording; stopping (stop asked, a task left); failed (a start failed: recording_failed says why)');

/** Each room's recording state, when recording is configured (RECORD_STORAGE). */
async function withRecording<R extends { roomType: string; roomID: string }>(rt: Runtime, rooms: R[]): Promise<(R & { recording?: RecordingState })[]> {
  if (!rt.config.recording || rooms.length === 0) return rooms;
  const states = new Map<string, RecordingState>();
  for (const type of new Set(rooms.map((r) => r.roomType as RoomType))) {
    const ids = rooms.filter((r) => r.roomType === type).map((r) => r.roomID);
    for (const [id, state] of await rt.recordings.states(type, ids)) states.set(`${type}/${id}`, state);
  }
  return rooms.map((room) => ({ ...room, recording: states.get(`${room.roomType}/${room.roomID}`) ?? 'off' }));
}

/** `from` / `to` of GET /admin/recordings: ms since the epoch, or an ISO 8601 date. */
const instant = text()
  .transform((value, ctx) => {
    const ms = /^\d{1,15}$/.test(value) ? Number(value) : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'must be ms since the epoch or an ISO 8601 date (2026-12-07T18:00:00Z)' });
      return z.NEVER;
    }
    return ms;
  });


const roomSummary = z.object({
  roomType: z.string(),
  roomID: z.string(),
  roomInfo: z.string(),
  creator: z.string(),
  createdAt: z.number().int().describe('ms since the epoch'),
  pushers: z.number().int().describe('seats with a live heartbeat'),
  audience: z.number().int().describe('audience members (live_room)'),
  seq: z.number().int().describe("the room's last event sequence number (0 before its first event)"),
  recording: recordingState.optional(),
});

const seat = z.object({
  userID: z.string(),
  userName: z.string(),
  userAvatar: z.string(),
  streamID: z.string(),
  heartbeatAgeMs: z.number().int().describe('since the last heartbeat (or the join)'),
  live: z.boolean().describe('heartbeat deadline still ahead (listings show only these seats)'),
  pushing: z.boolean().describe('the live platform reported the stream pushed'),
});

const snapshot = z.object({
  roomType: z.string(),
  roomID: z.string(),
  roomInfo: z.string(),
  creator: z.string(),
  createdAt: z.number().int(),
  entered: z.boolean().describe('a pusher entered (else it is reclaimed after ROOM_IDLE_TIMEOUT)'),
  seq: z.number().int().describe("the room's last event sequence number, read in the same step as the rest: events up to it are in this state"),
  pushers: z.array(seat).describe('every seat, live or overdue (not yet reaped), by userID'),
  audienceCount: z.number().int(),
  custom: z.record(z.string(), z.unknown()).describe('the custom fields as an object'),
  imGroup: z.object({
    groupID: z.string(),
    state: z.enum(['active', 'destroying']).describe('destroying: a destroy of this id recorded in the outbox and not acknowledged yet'),
    noticePending: z.boolean().describe('a member-change notice is recorded and not acknowledged yet'),
  }),
});

const ban = z.object({
  userID: z.string(),
  scope: z.string().describe('service, or <roomType>/<roomID>'),
  until: z.number().int().describe('end of the ban, ms since the epoch'),
});

const notFound = { code: Code.ROOM_NOT_FOUND, status: 404, when: 'the room does not exist' };

// ---------------------------------------------------------------- routes

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  route({
    name: 'list_rooms',
    method: 'GET',
    path: '/admin/rooms',
    summary: 'One page of the entered rooms of every type (or of `type`), each type in creation order, with member counts. A page costs O(page).',
    input: z.object({
      type: roomType.optional().describe(`only this room type (${ROOM_TYPES.join(', ')})`),
      cursor: text().max(200, 'is not a cursor this API answered').optional().describe('`next` of the previous page'),
      limit: intLike.pipe(z.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100')).default(50).describe('rooms per page: 1-100, default 50'),
    }),
    output: z.object({ rooms: z.array(roomSummary), next: z.string().nullable().describe('cursor of the next page; null on the last') }),
    codes: [],
    async run({ input, rt }) {
      const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
      if (after && input.type && after.type !== input.type) throw new AppError(Code.INVALID_PARAM, 'cursor belongs to another type filter', 400);
      const start = after ? ROOM_TYPES.indexOf(after.type) : 0;
      const types = input.type ? [input.type] : ROOM_TYPES.slice(start);
      const page = await rt.admin.roomPage(types, input.limit, after);
      return { rooms: await withRecording(rt, page.rooms), next: page.next ? encodeCursor(page.next) : null };
    },
  }),
  route({
    name: 'get_room',
    method: 'GET',
    path: '/admin/rooms/{roomType}/{roomID}',
    summary: 'Everything about one room, read in one step: info, seats with heartbeat ages, audience count, custom fields, IM group state.',
    input: roomPath,
    output: z.object({ room: snapshot }),
    codes: [notFound],
    async run({ input, rt }) {
      return { room: await rt.admin.snapshot(input.roomType, input.roomID) };
    },
  }),
  route({
    name: 'kick',
    method: 'POST',
    path: '/admin/rooms/{roomType}/{roomID}/kick',
    summary: 'Removes a pusher as delete_pusher would: the others get the member-change notice, an emptied room ends (and a room that ends with its creator).',
    input: roomPath.extend({ userID: userId }),
    output: z.object({}),
    codes: [notFound, { code: Code.NOT_A_MEMBER, status: 409, when: 'userID is not a pusher of the room' }],
    async run({ input, rt }) {
      const effect = await rt.admin.kick(input.roomType, input.roomID, input.userID);
      // webrtc_room: 'remove' takes the member out of the TRTC room too.
      await performEffect(rt, input.roomType, input.roomID, effect, input.userID);
    },
  }),
  route({
    name: 'dismiss',
    method: 'POST',
    path: '/admin/rooms/{roomType}/{roomID}/dismiss',
    summary: 'Ends the room as destroy_room would, whoever created it; its IM group is destroyed.',
    input: roomPath,
    output: z.object({}),
    codes: [notFound],
    async run({ input, rt }) {
      await performEffect(rt, input.roomType, input.roomID, await rt.admin.dismiss(input.roomType, input.roomID));
    },
  }),
  route({
    name: 'recording',
    method: 'POST',
    path: '/admin/rooms/{roomType}/{roomID}/recording',
    summary:
      'Starts or stops recording the room on Tencent\'s cloud (docs/recording.md): webrtc_room with TRTC cloud recording (one mixed file), the stream types with a live recording task per pusher stream. The calls go through the recording outbox (retried, never repeated once settled); recording_started, recording_stopped or recording_failed follow in the event log. Starting a recording room (or stopping a stopped one) changes nothing; starting a room whose start failed tries again.',
    input: roomPath.extend({ action: z.enum(['start', 'stop'], { error: 'must be start or stop' }).describe('start or stop') }),
    output: z.object({ changed: z.boolean().describe('false: it already was so'), recording: recordingState }),
    codes: [
      { code: Code.ROOM_NOT_FOUND, status: 404, when: 'start: the room does not exist or nobody entered it yet' },
      { code: Code.FEATURE_DISABLED, status: 409, when: 'recording is not configured (RECORD_STORAGE unset)' },
    ],
    async run({ input, rt }) {
      if (!rt.config.recording) throw new AppError(Code.FEATURE_DISABLED, 'recording is not configured on this service (set RECORD_STORAGE: docs/recording.md)', 409);
      const changed = await requestRecording(rt, input.roomType, input.roomID, input.action);
      const states = await rt.recordings.states(input.roomType, [input.roomID]);
      return { changed, recording: states.get(input.roomID) ?? 'off' };
    },
  }),
  route({
    name: 'recordings',
    method: 'GET',
    path: '/admin/recordings',
    summary:
      'Recorded files, oldest first: the recording_ready events of the log (so kept as long as the log keeps its events, EVENT_LOG_MAX_AGE_SECONDS and EVENT_LOG_MAX_LEN), of one room or all, whose recording started within [from, to]. Examines at most 20,000 events per call; continue with `after` = `next`.',
    input: z.object({
      room: eventRoomRef.optional(),
      from: instant.optional().describe('only files that started at or after this (ms since the epoch, or ISO 8601)'),
      to: instant.optional().describe('only files that started at or before this (ms since the epoch, or ISO 8601)'),
      after: text().max(13_000, 'is too long').regex(/^(?:(\d{1,4}\.)?\d{1,15}-\d{1,16}|c1(\.[0-9a-z]{1,11}){1,1024})$/, 'must be the next of a previous page (an event id or cursor)').optional().describe('the `next` of the previous page'),
      limit: intLike.pipe(z.number().int().min(1, 'must be 1-100').max(100, 'must be 1-100')).default(50).describe('files per page: 1-100, default 50'),
    }).refine((input) => input.from === undefined || input.to === undefined || input.from <= input.to, { message: 'must not be before from', path: ['to'] }),
    output: z.object({
      recordings: z.array(z.object({ id: z.string(), roomType: z.string(), roomID: z.string(), time: z.number().int() })).describe('recording_ready events: {url, fileId?, fileName?, storage, duration (s), size? (bytes), startTime, endTime (ms), streamID or userID, taskId, ...}'),
      next: z.string().nullable().describe('pass as `after` to continue; null when the log is empty'),
    }),
    codes: [],
    async run({ input, rt }) {
      return { ...(await listRecordings(rt, { room: input.room, from: input.from, to: input.to, after: input.after, limit: input.limit })) };
    },
  }),
  route({
    name: 'set_room_info',
    method: 'POST',
    path: '/admin/rooms/{roomType}/{roomID}/info',
    summary: "Replaces the room's roomInfo; the members of an entered room get the member-change notice (clients re-read get_pushers, which carries roomInfo).",
    input: roomPath.extend({ roomInfo }),
    output: z.object({}),
    codes: [notFound, { code: Code.VALUE_TOO_LONG, status: 400, when: 'roomInfo over 1024 bytes' }],
    async run({ input, rt }) {
      await performEffect(rt, input.roomType, input.roomID, await rt.admin.setRoomInfo(input.roomType, input.roomID, input.roomInfo));
    },
  }),
  route({
    name: 'ban',
    method: 'POST',
    path: '/admin/bans',
    summary:
      "Bans a user from the service, or from one room (roomType and roomID), for `seconds`, at once: their seats and audience places in that scope go (pusher_left / audience_left reason `banned`; the other members are told as for a kick; a webrtc_room member is removed from the TRTC room), and their create_room, add_pusher, add_audience and enter_room answer code 7 saying until when. A service ban also revokes their sessions and refuses login and UserSigs (get_login_info) while it lasts. A second ban replaces the first.",
    input: z
      .object({
        userID: userId,
        roomType: roomType.optional(),
        roomID: roomId.optional(),
        seconds: z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(1, `must be 1-${MAX_BAN_SECONDS}`).max(MAX_BAN_SECONDS, `must be 1-${MAX_BAN_SECONDS}`).describe(`how long: 1-${MAX_BAN_SECONDS} (365 days)`),
      })
      .refine((b) => (b.roomType === undefined) === (b.roomID === undefined), { message: 'roomType and roomID go together (both for a room ban, neither for a service ban)', path: ['roomID'] }),
    output: z.object({ ban, evicted: z.number().int().describe('seats the ban removed (audience places go too, and are not counted)') }),
    codes: [],
    async run({ input, rt }) {
      const until = Date.now() + input.seconds * 1000;
      const room = input.roomType && input.roomID ? { type: input.roomType, roomId: input.roomID } : undefined;
      // Its admin_ban event goes in the room's sequence (the room need not exist), or the service's.
      const { ban: set, effects } = await rt.admin.ban(input.userID, until, room);
      if (!room) await rt.sessions.closeAll(input.userID);
      for (const e of effects) await performEffect(rt, e.type, e.roomId, e.effect, e.userId);
      return { ban: set, evicted: effects.length };
    },
  }),
  route({
    name: 'list_bans',
    method: 'GET',
    path: '/admin/bans',
    summary: 'The bans in force, soonest end first.',
    input: z.object({}),
    output: z.object({ bans: z.array(ban) }),
    codes: [],
    async run({ rt }) {
      return { bans: await rt.admin.bans() };
    },
  }),
  route({
    name: 'unban',
    method: 'DELETE',
    path: '/admin/bans/{userID}',
    summary: "Lifts a user's service ban, or with `?room=<roomType>/<roomID>` their ban from that room.",
    input: z.object({ userID: userId, room: roomRef.optional() }),
    output: z.object({ lifted: z.boolean().describe('false: there was no such ban (or it had ended)') }),
    codes: [],
    async run({ input, rt }) {
      return { lifted: await rt.admin.unban(input.userID, input.room) };
    },
  }),
  route({
    name: 'events',
    method: 'GET',
    path: '/admin/events',
    summary: 'Replay: events from the log in commit order (per room in seq order), after the `next` of a previous read (or an event id), optionally of one room. For backends that missed webhooks for longer than the retries.',
    input: z.object({
      after: text().max(13_000, 'is too long').regex(/^(?:(\d{1,4}\.)?\d{1,15}-\d{1,16}|c1(\.[0-9a-z]{1,11}){1,1024})$/, 'must be an event id (such as 1733356800000-42) or, with ROOM_PARTITIONS > 1, the cursor a previous read answered as next (c1.<one position per partition>)').optional().describe('only events after this: the next of a previous read (with ROOM_PARTITIONS > 1 a cursor, c1.<base36 position per partition>, which resumes each partition exactly), or an event id (by position; with ROOM_PARTITIONS > 1 best effort across partitions). Default: from the oldest kept'),
      room: eventRoomRef.optional(),
      limit: intLike.pipe(z.number().int().min(1, `must be 1-${MAX_READ_LIMIT}`).max(MAX_READ_LIMIT, `must be 1-${MAX_READ_LIMIT}`)).default(100).describe(`events per page: 1-${MAX_READ_LIMIT}, default 100`),
      // The dashboard starts at the present (shared/events/latest.ts), then follows with `after`.
      last: z.literal('true').optional().describe('true: the newest `limit` events instead (still in log order); `next` is then where the log ends now (the newest id; with ROOM_PARTITIONS > 1 a cursor), to follow it with `after`'),
    }).refine((input) => !(input.last && input.after), { message: 'cannot be combined with after', path: ['last'] }),
    output: z.object({
      events: z.array(z.object({ id: z.string(), type: z.string(), roomType: z.string(), roomID: z.string(), seq: z.number().int(), time: z.number().int() })).describe('each {id, type, roomType, roomID, seq, time, userID?, reason?, ...} (docs/events-and-webhooks.md lists each type\'s fields)'),
      next: z.string().nullable().describe('pass as `after` for the next page (with a room filter it may be past the last event returned): an event id, or with ROOM_PARTITIONS > 1 an opaque cursor (c1.<last position read in each partition>) so events appended later in any partition are not skipped; null when the log is empty'),
    }),
    codes: [],
    async run({ input, rt }) {
      const page = input.last ? await readLatestEvents(rt, { room: input.room, limit: input.limit }) : await readEvents(rt, { after: input.after, room: input.room, limit: input.limit });
      return { events: page.events, next: page.next };
    },
  }),
  route({
    name: 'dead_letters',
    method: 'GET',
    path: '/admin/dead-letters',
    summary: 'Webhook batches that failed every attempt (WEBHOOK_MAX_ATTEMPTS) and were parked, oldest first; delivery went on after them.',
    input: z.object({}),
    output: z.object({
      deadLetters: z.array(
        z.object({
          id: z.string(),
          url: z.string().describe("the receiver's URL as shown (origin and path, never its query)"),
          events: z.array(z.object({ id: z.string(), type: z.string(), roomType: z.string(), roomID: z.string(), seq: z.number().int() })).describe('the batch, as it was POSTed'),
          attempts: z.number().int(),
          lastError: z.string(),
          parkedAt: z.number().int().describe('ms since the epoch'),
          redrivenAt: z.number().int().optional().describe('when a re-drive last tried it'),
        }),
      ),
    }),
    codes: [],
    async run({ rt }) {
      const letters = await listDeadLetters(rt);
      return { deadLetters: letters.map(({ id, url, events, attempts, lastError, parkedAt, redrivenAt }) => ({ id, url, events, attempts, lastError, parkedAt, ...(redrivenAt === undefined ? {} : { redrivenAt }) })) };
    },
  }),
  route({
    name: 'redrive',
    method: 'POST',
    path: '/admin/dead-letters/redrive',
    summary: 'Sends dead letters again now: one (`id`) or all. A delivered one goes; a failed one stays with its attempts and lastError updated. Re-driven events arrive after newer ones of their room (their seq says where they belong).',
    input: z.object({ id: text().max(128, 'is not a dead letter id').optional().describe('one dead letter; absent: all') }),
    output: z.object({ redriven: z.number().int().describe('delivered now and removed'), failed: z.number().int().describe('failed again (kept)') }),
    codes: [],
    async run({ input, rt }) {
      const report = await redriveDeadLetters(rt, { id: input.id });
      await appendEvent(rt, SERVICE_ROOM, 'admin_redrive', { ...(input.id ? { deadLetter: input.id } : {}), redriven: report.redriven, failed: report.failed });
      return { redriven: report.redriven, failed: report.failed };
    },
  }),
  route({
    name: 'webhooks',
    method: 'GET',
    path: '/admin/webhooks',
    summary:
      "How delivery stands per WEBHOOK_URL receiver (events not yet acknowledged, the failing batch's attempts, last error, next retry, lease), how many dead letters wait, and the events the log's hard bound (EVENT_LOG_HARD_MAX_LEN) forced out before every receiver had them (each such loss is also an events_lost event in the log).",
    input: z.object({}),
    output: z.object({
      receivers: z.array(
        z.object({
          url: z.string().describe("the receiver's URL as shown (origin and path, never its query)"),
          pending: z.number().int().describe('events in the log after its cursor (not yet acknowledged)'),
          attempts: z.number().int().describe('failed attempts of the batch at its cursor (0: none failing)'),
          lastError: z.string().nullable(),
          retryAt: z.number().int().nullable().describe('no attempt before this moment (ms), while backing off'),
          leasedUntil: z.number().int().nullable().describe('a deliverer holds its lease until this moment (ms)'),
        }),
      ).describe('empty without WEBHOOK_URL'),
      deadLetters: z.number().int(),
      eventsLost: z.object({
        count: z.number().int().describe('events forced out of the log before every receiver had them, in all (0: none ever)'),
        last: z
          .object({ id: z.string().describe('the events_lost event'), count: z.number().int(), firstId: z.string(), lastId: z.string(), time: z.number().int() })
          .nullable()
          .describe('the latest such loss: how many, the first and last event id lost'),
      }),
    }),
    codes: [],
    async run({ rt }) {
      const status = await webhookStatus(rt);
      return { receivers: status.receivers, deadLetters: status.deadLetters, eventsLost: status.eventsLost };
    },
  }),
  route({
    name: 'metrics',
    method: 'GET',
    path: '/admin/metrics',
    summary:
      'The Prometheus text exposition (version 0.0.4) of every counter since the deployment began and the gauges read now; names start with `roomservice_` (docs/metrics.md lists them). Scrape it with the admin key as a bearer token.',
    input: z.object({}),
    output: z.object({}),
    textAnswer: '`text/plain; version=0.0.4` (the exposition format), not the JSON envelope',
    codes: [],
    async run({ rt }) {
      // This container's own buffered counts first, so a scrape sees its requests at once.
      await flushMetrics(rt, true);
      return new TextAnswer(METRICS_CONTENT_TYPE, await metricsText(rt));
    },
  }),
  route({
    name: 'metric_series',
    method: 'GET',
    path: '/admin/metrics/series',
    summary: "Per-minute series for the dashboard's charts over the last hour or day: requests, errors (5xx and codes other than 0), p50/p99 latency, rooms and pushers, webhook lag.",
    input: z.object({ range: z.enum(SERIES_RANGES, { error: `must be ${SERIES_RANGES.join(' or ')}` }).default('1h').describe(`${SERIES_RANGES.join(' or ')} (default 1h)`) }),
    output: z.object({
      minutes: z.array(z.number().int()).describe('each point\'s minute start, ms since the epoch'),
      requests: z.array(z.number().int()),
      errors: z.array(z.number().int()).describe('requests answered with a code other than 0'),
      p50: z.array(z.number().nullable()).describe('seconds; null in a minute without requests'),
      p99: z.array(z.number().nullable()),
      rooms: z.array(z.number().int()).describe('peak concurrent rooms in the minute (all types)'),
      pushers: z.array(z.number().int()).describe('peak concurrent pushers in the minute (all types)'),
      webhookLag: z.array(z.number().nullable()).describe('mean lag of the events delivered in the minute, seconds'),
    }),
    codes: [],
    async run({ input, rt }) {
      await flushMetrics(rt, true);
      return { ...(await metricSeries(rt, input.range)) };
    },
  }),
  route({
    name: 'usage',
    method: 'GET',
    path: '/admin/usage',
    summary:
      'Usage per UTC hour or day and room type, from the event log: room-, pusher- and audience-minutes, peak concurrent rooms and pushers, rooms started, distinct users. Exact for the retained log (docs/metrics.md).',
    input: z
      .object({
        from: moment.describe('start: ISO 8601 or ms since the epoch (moved back to its bucket\'s start)'),
        to: moment.optional().describe('end (default now)'),
        bucket: z.enum(['hour', 'day'], { error: 'must be hour or day' }).default('day'),
        format: z.enum(['json', 'csv'], { error: 'must be json or csv' }).default('json'),
      })
      .refine((i) => i.to === undefined || i.to > i.from, { message: 'must be after from', path: ['to'] })
      .refine((i) => ((i.to ?? Date.now()) - i.from) / (i.bucket === 'hour' ? 3_600_000 : 86_400_000) <= MAX_USAGE_BUCKETS, {
        message: `spans more than ${MAX_USAGE_BUCKETS} buckets`,
        path: ['from'],
      }),
    output: z.object({
      from: z.string(),
      to: z.string(),
      bucket: z.string(),
      retainedFrom: z.string().nullable().describe('the oldest event the log holds: figures before it are lower bounds'),
      rows: z.array(
        z.object({
          start: z.string().describe("the bucket's start (ISO 8601, UTC)"),
          roomType: z.string(),
          roomMinutes: z.number(),
          pusherMinutes: z.number(),
          audienceMinutes: z.number(),
          peakRooms: z.number().int(),
          peakPushers: z.number().int(),
          roomsStarted: z.number().int(),
          distinctUsers: z.number().int().describe('pushers and audience present in the bucket'),
        }),
      ),
    }),
    textAnswer: 'with `format=csv`: `text/csv` with the rows (header start,roomType,roomMinutes,pusherMinutes,audienceMinutes,peakRooms,peakPushers,roomsStarted,distinctUsers)',
    codes: [],
    async run({ input, rt }) {
      const answer = await usage(rt, { from: input.from, to: input.to ?? Date.now(), bucket: input.bucket });
      if (input.format === 'csv') return new TextAnswer('text/csv; charset=utf-8', usageCsv(answer));
      return { ...answer };
    },
  }),
];
