/**
 * Per-IP quota for the endpoints that run no room script (login and the
 * utilities). Room endpoints count their quotas inside their own script.
 */
import { AppError, Code } from '../errors';
import { storeCall, type RedisClient } from '../redis';
import { ipQuotaKey } from '../rooms/keys';
import { SCRIPTS } from './lua.generated';

const WINDOW_MS = 60_000;

export class IpRateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(ip: string): Promise<void> {
    if (this.perMinute <= 0) return;
    const key = ipQuotaKey(this.prefix, ip, this.now());
    const count = Number(await storeCall(this.redis.eval(SCRIPTS.ipQuota.lua, 1, key, WINDOW_MS)));
    if (count > this.perMinute) throw new AppError(Code.RATE_LIMITED, 'too many requests; slow down', 429);
  }
}
