/**
 * Per-IP quota for the endpoints that run no room script (login and the
 * utilities). Room endpoints count their quotas inside their own script.
 */
import { AppError, Code } from '../errors';
import { storeCall, type RedisClient } from '../redis';

const WINDOW_MS = 60_000;
const HIT = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

export class IpRateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  async hit(ip: string): Promise<void> {
    if (this.perMinute <= 0) return;
    const key = `${this.prefix}:{ratelimit}:ip:${ip}:${Math.floor(this.now() / WINDOW_MS)}`;
    const count = Number(await storeCall(this.redis.eval(HIT, 1, key, WINDOW_MS)));
    if (count > this.perMinute) throw new AppError(Code.RATE_LIMITED, 'too many requests; slow down', 429);
  }
}
