/**
 * Input fields shared by the endpoints, with the limits of PROTOCOL.md and
 * README "Limits". A field error names the field (the adapter adds the name).
 */
import { z } from 'zod';
import { Code } from '../errors';

/** A string field; a missing one is reported as missing, not as a wrong type. */
export const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/** IM account ids: at most 32 bytes of letters, digits, `_ - @ .`. */
export const userId = text().regex(/^[A-Za-z0-9_@.-]{1,32}$/, 'must be 1-32 of A-Z a-z 0-9 _ - @ .');

/** Room ids double as IM group ids (at most 48 bytes; `@TGS#` is Tencent's own prefix). */
export const roomId = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_@.:-]{1,48}$/, 'must be 1-48 of A-Z a-z 0-9 _ - @ . :')
  .refine((id) => !id.startsWith('@TGS#'), 'must not start with @TGS#');

const byteLimited = (maxBytes: number, code?: number) =>
  z
    .string({ error: 'must be a string' })
    .refine((text) => Buffer.byteLength(text) <= maxBytes, { message: `is longer than ${maxBytes} bytes`, params: code ? { code } : undefined });

/** `roomInfo` over 1024 bytes is code 10 (PROTOCOL.md §2). */
export const roomInfo = byteLimited(1024, Code.VALUE_TOO_LONG);
export const userName = byteLimited(256);
export const userAvatar = byteLimited(1024);
export const userInfo = byteLimited(1024);
export const pushUrl = text().max(1024, 'is longer than 1024 characters');

/** Query flags arrive as strings; bodies may carry numbers as strings too (old clients). */
export const intLike = z.union([z.number(), z.string().regex(/^\d+$/, 'must be an integer').transform(Number)], { error: 'must be an integer' });

/** The body every room action carries: the room, and the caller repeated (checked against the token). */
export const roomRequest = z.object({ userID: userId.optional(), roomID: roomId });

/**
 * Leaving actions also take `roomID: ""`: liveroom.js's exitRoom calls
 * delete_pusher and delete_audience with it right after quitPusher, and the old
 * server answered them (5 and 0) rather than refusing the request.
 */
export const leaveRequest = z.object({ userID: userId.optional(), roomID: z.union([z.literal(''), roomId]) });
