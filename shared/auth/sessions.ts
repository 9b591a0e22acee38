/**
 * Sessions in Redis, in the same slot as the rooms so that every room script
 * checks the session in the same atomic step (one round trip for
 * `pusher_heartbeat`).
 */
import { authFailed } from '../errors';
import { storeCall, type RedisClient } from '../redis';
import { sessionKey, userSessionsKey } from '../rooms/keys';
import { SCRIPTS } from './lua.generated';
import { newToken, verifyToken, type Actor } from './token';

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
    await storeCall(this.redis.eval(SCRIPTS.openSession.lua, keys.length, ...keys, userId, sessionId, ttlMs, Date.now(), this.maxPerUser, sessionKey(this.prefix, '')));
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
    const removed = await storeCall(this.redis.eval(SCRIPTS.closeSession.lua, keys.length, ...keys, actor.userId, actor.sessionId));
    if (removed !== 1) throw authFailed('token is missing, expired or revoked');
  }
}
