/**
 * Sessions in Redis, in the same slot as the rooms so that every room script
 * checks the session in the same atomic step (one round trip for
 * `pusher_heartbeat`).
 */
import { authFailed, storeUnavailable } from '../errors';
import { isConnectionError, type RedisClient } from '../redis';
import { sessionKey } from '../rooms/keys';
import { newToken, verifyToken, type Actor } from './token';

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (isConnectionError(error)) throw storeUnavailable((error as Error).message);
      throw error;
    }
  }

  /** Opens a session for a user whose identity was already proven; returns its token. */
  async open(userId: string): Promise<string> {
    const { token, sessionId } = newToken(this.secret, userId);
    const ttlMs = Math.round(this.ttlSeconds * 1000);
    await this.guard(this.redis.set(sessionKey(this.prefix, sessionId), userId, 'PX', ttlMs));
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
    const removed = await this.guard(
      this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, sessionKey(this.prefix, actor.sessionId), actor.userId),
    );
    if (removed !== 1) throw authFailed('token is missing, expired or revoked');
  }
}
