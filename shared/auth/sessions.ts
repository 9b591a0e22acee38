/**
 * Sessions in Redis, in the same slot as the rooms so that every room script
 * checks the session in the same atomic step (one round trip for
 * `pusher_heartbeat`).
 *
 * With ROOM_PARTITIONS = N > 1 a session is copied into every partition (a
 * room script checks the copy in its own), and the user's session index (the
 * per-user cap) lives in the user's home partition, whose script decides the
 * cap. Login and logout cost N small writes (rare, and in parallel); logout
 * takes effect everywhere once its N deletes answered. A process that dies
 * between them leaves copies that end at the session's TTL (docs/data-layout.md). The home copy is written last at login and deleted first at
 * logout, so the home partition is the authority the cap and logout check.
 */
import { authFailed } from '../errors';
import { banned } from '../rooms/store';
import { storeCall, type RedisClient } from '../redis';
import { allPartitions, partitionOf, roomPartitions, serviceBanKey, sessionKey, userSessionsKey } from '../rooms/keys';
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

  /**
   * Opens a session for a user whose identity was already proven (evicting
   * the user's oldest beyond the cap); returns its token. A user under a
   * service ban is refused (code 7 with `bannedUntil`).
   */
  async open(userId: string): Promise<string> {
    const { token, sessionId } = newToken(this.secret, userId);
    const ttlMs = Math.round(this.ttlSeconds * 1000);
    const home = partitionOf(userId);
    await this.inOthers(home, (p) => this.redis.set(sessionKey(this.prefix, sessionId, p), userId, 'PX', ttlMs));
    const keys = [sessionKey(this.prefix, sessionId, home), userSessionsKey(this.prefix, userId), serviceBanKey(this.prefix, userId, home)];
    const [status, detail] = (await storeCall(
      this.redis.eval(SCRIPTS.openSession.lua, keys.length, ...keys, userId, sessionId, ttlMs, Date.now(), this.maxPerUser, sessionKey(this.prefix, '', home)),
    )) as [string, string[] | string];
    if (status === 'BANNED') {
      // The copies written first are of a session nobody got the token of: gone at once anyway.
      await this.inOthers(home, (p) => this.redis.del(sessionKey(this.prefix, sessionId, p)));
      throw banned('service', Number(detail));
    }
    const evicted = detail as string[];
    if (evicted.length > 0) await this.inOthers(home, (p) => this.redis.del(...evicted.map((old) => sessionKey(this.prefix, old, p))));
    return token;
  }

  /**
   * Revokes every session of the user (a service ban): the index in the
   * user's home partition names them; each copy goes in every partition.
   * Answers how many there were.
   */
  async closeAll(userId: string): Promise<number> {
    const index = userSessionsKey(this.prefix, userId);
    const ids = await storeCall(this.redis.zrange(index, 0, -1));
    if (ids.length > 0) await Promise.all(allPartitions().map((p) => storeCall(this.redis.del(...ids.map((id) => sessionKey(this.prefix, id, p))))));
    await storeCall(this.redis.zrem(index, ...(ids.length > 0 ? ids : ['-'])));
    return ids.length;
  }

  /** `write` in every partition but `home` (nothing with one partition), in parallel. */
  private async inOthers(home: number, write: (p: number) => Promise<unknown>): Promise<void> {
    if (roomPartitions() === 1) return;
    await Promise.all(allPartitions().filter((p) => p !== home).map((p) => storeCall(write(p))));
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
    const home = partitionOf(actor.userId);
    const keys = [sessionKey(this.prefix, actor.sessionId, home), userSessionsKey(this.prefix, actor.userId)];
    const removed = await storeCall(this.redis.eval(SCRIPTS.closeSession.lua, keys.length, ...keys, actor.userId, actor.sessionId));
    if (removed !== 1) throw authFailed('token is missing, expired or revoked');
    await this.inOthers(home, (p) => this.redis.del(sessionKey(this.prefix, actor.sessionId, p)));
  }
}
