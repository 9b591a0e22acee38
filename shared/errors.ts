/**
 * Errors are values with a protocol code. Every failure a client can see is an
 * AppError; the HTTP adapter turns it into the envelope `{code, message}`.
 */
import { log } from './log';

/** Result codes of docs/protocol.md §2, plus the codes this project adds (README). */
export const Code = {
  OK: 0,
  INVALID_PARAM: 1,
  ROOM_NOT_FOUND: 3,
  NOT_A_MEMBER: 5,
  IM_GROUP_FAILED: 6,
  AUTH_FAILED: 7,
  VALUE_TOO_LONG: 10,
  ROOM_EXISTS: 11,
  ROOM_FULL: 5001,
  // Added by this project; each has its own HTTP status (docs/error-codes.md).
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  CONFIG_INVALID: 5002,
  STORE_UNAVAILABLE: 5003,
  CLOUD_API_FAILED: 5004,
  FEATURE_DISABLED: 5005,
  ROOM_QUOTA: 5006,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export class AppError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /** HTTP status; business failures stay 200 as old clients only read `code`. */
    readonly status = 200,
    /** Extra envelope fields (e.g. `roomID` with code 11, `result` with login's code 7). */
    readonly extra: Record<string, unknown> = {},
    /** What failed underneath (kept for logs and debuggers; never sent to the client). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
  }
}

/** The message of anything thrown (an Error's message, else its string form). */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const invalidParam = (field: string, why = 'is missing or invalid') =>
  new AppError(Code.INVALID_PARAM, `${field} ${why}`);

export const authFailed = (reason: string, extra: Record<string, unknown> = {}) =>
  new AppError(Code.AUTH_FAILED, `authentication failed: ${reason}`, 200, extra);

export const badRequest = (message: string) => new AppError(Code.INVALID_PARAM, message, 400);

/** Redis is away. The client reads our words only; the Redis client's own message goes to the log. */
export function storeUnavailable(cause: string): AppError {
  log({ event: 'store_unavailable', cause });
  return new AppError(Code.STORE_UNAVAILABLE, 'room store unavailable; retry shortly', 503);
}

/** A Tencent Cloud API call failed: code 5004, HTTP 502, its message (which names the API and Tencent's error code). */
export const cloudApiFailed = (failure: Error) => new AppError(Code.CLOUD_API_FAILED, failure.message, 502, {}, failure);
