/**
 * Input fields shared by the endpoints, with the limits of docs/protocol.md and
 * README "Limits", and the output shapes several endpoints answer. A field
 * error names the field (the adapter adds the name). Descriptions end up in
 * the API reference (/openapi.json, docs/api.md), so they state the limits a
 * JSON Schema cannot (byte lengths, codes).
 */
import { z } from 'zod';
import { Code, badRequest } from '../errors';
import { USER_ID, USER_ID_RULE } from '../ids';

/** A string field; a missing one is reported as missing, not as a wrong type. */
export const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/** IM account ids: at most 32 bytes of letters, digits, `_ - @ .`. */
export const userId = text()
  .regex(USER_ID, `must be ${USER_ID_RULE}`)
  .describe(`IM account id: ${USER_ID_RULE}`);

/** Room ids double as IM group ids (at most 48 bytes; `@TGS#` is Tencent's own prefix). */
export const roomId = text()
  .regex(/^[A-Za-z0-9_@.:-]{1,48}$/, 'must be 1-48 of A-Z a-z 0-9 _ - @ . :')
  .refine((id) => !id.startsWith('@TGS#'), 'must not start with @TGS#')
  .describe('room id (also its IM group id): 1-48 of A-Z a-z 0-9 _ - @ . :, not starting with @TGS#');

const byteLimited = (maxBytes: number, code?: number) =>
  text()
    .refine((value) => Buffer.byteLength(value) <= maxBytes, { message: `is longer than ${maxBytes} bytes`, params: code ? { code } : undefined })
    .describe(`at most ${maxBytes} bytes (UTF-8)${code ? `; longer is code ${code}` : ''}`);

/** `roomInfo` over 1024 bytes is code 10 (docs/protocol.md §2). */
export const roomInfo = byteLimited(1024, Code.VALUE_TOO_LONG);
export const userName = byteLimited(256);
/** A TRTC member's display name (webrtc_room's nickName): the same bound and checks as a pusher's userName. */
export const nickName = byteLimited(256);
export const userAvatar = byteLimited(1024);
export const userInfo = byteLimited(1024);
export const pushUrl = text().max(1024, 'is longer than 1024 characters').describe("the push URL get_push_url gave the caller (signed for this service's bizid)");

/** Query flags arrive as strings; bodies may carry numbers as strings too (old clients). */
export const intLike = z.union([z.number(), z.string().regex(/^\d+$/, 'must be an integer').transform(Number)], { error: 'must be an integer' });

const pageSize = intLike.pipe(z.number().int().min(1, 'must be a positive integer').max(100, 'must be at most 100'));

/**
 * get_room_list's page: `index` and its size, which the stream protocol names
 * `cnt` and the TRTC clients (webrtcroom.js, the PC web client,
 * webrtc_server_java) name `count`. Both room families take both spellings;
 * roomListPageSize reads them.
 */
export const roomListPage = {
  index: intLike.pipe(z.number().int().min(0, 'must be 0 or more').max(1_000_000, 'is too large')).default(0).describe('offset of the page: 0-1000000, default 0 (a number or digits)'),
  cnt: pageSize.optional().describe('rooms per page: 1-100, default 20 (a number or digits); `count` is the same field'),
  count: pageSize.optional().describe('rooms per page as the TRTC clients name it: the same as `cnt` (both sent: they must agree, else code 1)'),
};

/** The page size of a get_room_list request: `cnt` or `count`, default 20; both sent and different is code 1. */
export function roomListPageSize(page: { cnt?: number; count?: number }): number {
  if (page.cnt !== undefined && page.count !== undefined && page.cnt !== page.count) throw badRequest(`cnt and count differ (${page.cnt} and ${page.count}): send one of them`);
  return page.cnt ?? page.count ?? 20;
}

/** The caller repeated in the body; it must be the token's user (else code 7). */
const bodyUser = userId.optional().describe("the caller again (optional); must equal the query's userID, else code 7");

/** The body every room action carries: the room, and the caller repeated (checked against the token). */
export const roomRequest = z.object({ userID: bodyUser, roomID: roomId });

/**
 * Leaving actions also take `roomID: ""`: liveroom.js's exitRoom calls
 * delete_pusher and delete_audience with it right after quitPusher, and the old
 * server answered them (5 and 0) rather than refusing the request.
 */
export const leaveRequest = z.object({ userID: bodyUser, roomID: z.union([z.literal(''), roomId]).describe('the room; "" (what exitRoom sends after quitPusher) is answered without a room') });

/** Any body of a room action that names no room. */
export const callerOnly = z.object({ userID: bodyUser });

// ---------------------------------------------------------------------------
// Output shapes
// ---------------------------------------------------------------------------

/** Nothing beyond the envelope. */
export const noFields = z.object({});

export const pusher = z.object({
  userID: z.string(),
  userName: z.string(),
  userAvatar: z.string(),
  accelerateURL: z.string().describe('signed low-latency play URL of the pusher'),
});

export const roomDetail = z.object({
  roomID: z.string(),
  roomInfo: z.string(),
  roomCreator: z.string(),
  mixedPlayURL: z.string().describe("the creator's mixed-stream play URL ('' until the creator joined)"),
  custom: z.string().describe('the custom fields as a JSON object in a string'),
  pushers: z.array(pusher).describe('pushers with a live heartbeat, in join order'),
  audienceCount: z.number().int().optional().describe('live_room only'),
});

export const customFields = z.object({ custom: z.string().describe('the custom fields as a JSON object in a string, e.g. {"likes":3}') });

// ---------------------------------------------------------------------------
// webrtc_room (docs/protocol.md §7)
// ---------------------------------------------------------------------------

/** A proof of identity in the body (newer webrtc clients); `Authorization: Bearer` is the other place. */
export const webrtcToken = text()
  .max(4096, 'is longer than 4096 characters')
  .optional()
  .describe("proof of identity where AUTH_MODE requires one: login's session token (with its userID) or, with AUTH_MODE=jwt, the app's JWT; or send it as Authorization: Bearer <token>");

/** webrtcroom.js sends a typed room number as a JSON number or a string: a number is taken as its decimal digits. */
export const webrtcRoomId = z
  .preprocess((value) => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? String(value) : value), roomId)
  .describe('TRTC room id: a number 1-4294967294 (digits, or a JSON number) is a numeric TRTC room, anything else (1-48 of A-Z a-z 0-9 _ - @ . :) a string room id');

/** Who calls: the body userID (AUTH_MODE demo) or the proof's user, which it must equal (else code 7). */
export const webrtcUser = userId.describe(`the caller (${USER_ID_RULE}); with a proof it must be the proof's user, else code 7`);

/** The body of webrtc_room's room actions: the caller and the room. */
export const webrtcRoomRequest = z.object({ userID: webrtcUser, roomID: webrtcRoomId, token: webrtcToken });
