/**
 * Sessions in Redis, in the same slot as the rooms so that every room script
 * checks the session in the same atomic step (one round trip for
 * `pusher_heartbeat`).
 */
import { authFailed } from '../errors';
import { storeCall, type RedisClient } from '../redis';
import { sessionKey, userSessionsKey } from '../rooms/keys';
import { newToken, verifyToken, type Actor } from './token';

/**
 * Opens a session and keeps the user's at most ARGV[5] newest: one atomic step,
 * so concurrent logins cannot overshoot the cap. KEYS: session, the user's
 * session index. ARGV: user, session id, ttl ms, now ms, cap, session key prefix.
 * All sessions live equally long, so the earliest expiry is the oldest login.
 */
const OPEN = `
local user, sid, ttl, now, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('SET', KEYS[1], user, 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- Strictly increasing scores: logins within one millisecond keep their order.
local score = now + ttl
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= score then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[2], score, sid)
local excess = redis.call('ZCARD', KEYS[2]) - cap
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess)) do
    if excess > 0 and old ~= sid then
      redis.call('ZREM', KEYS[2], old)
      redis.call('DEL', ARGV[6] .. old)
      excess = excess - 1
    end
  end
end
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`;

const CLOSE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('DEL', KEYS[1])
`;

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly maxPerUser = 10,
  ) {}

  /** Opens a session for a user whose identity was already proven (evicting the user's oldest beyond the cap); returns its token. */
  async open(userId: string): Promise<string> {
    const { token, sessionId } = newToken(this.secret, userId);
    const ttlMs = Math.round(this.ttlSeconds * 1000);
    const keys = [sessionKey(this.prefix, sessionId), userSessionsKey(this.prefix, userId)];
    await storeCall(this.redis.eval(OPEN, 2, ...keys, userId, sessionId, ttlMs, Date.now(), this.maxPerUser, sessionKey(this.prefix, '')));
    return token;
  }

  /** CPU-only token check; Redis confirms the session inside the store call that follows. */
  actor(userId: string | undefined, token: string | undefined, clientIp = ''): Actor {
    if (!userId) throw authFailed('userID is missing from the query');
    if (!token) throw authFailed('token is missing from the query');
    const actor = verifyToken(this.secret, userId, token, clientIp);
    if (!actor) throw authFailed('token is not valid for this userID');
    return actor;
  }

  /** Revokes the session; refuses a token whose session is already gone. */
  async close(actor: Actor): Promise<void> {
    const keys = [sessionKey(this.prefix, actor.sessionId), userSessionsKey(this.prefix, actor.userId)];
    const removed = await storeCall(this.redis.eval(CLOSE, 2, ...keys, actor.userId, actor.sessionId));
    if (removed !== 1) throw authFailed('token is missing, expired or revoked');
  }
}
