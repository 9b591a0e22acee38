/**
 * The counters a container records outside the room scripts: requests by
 * endpoint, room type and code with their durations, heartbeats, IM and
 * Cloud API calls, webhook deliveries and the sweeper's runs. (Room events,
 * seats and audience joined/left, rooms started/finished, are counted inside
 * the scripts that make them: shared/rooms/lua/helpers/metrics.lua.)
 *
 * Why a buffer: a request must not wait for its own counting, and the
 * heartbeat must stay one round trip. Counts add up in this container's
 * memory, per minute, and go to Redis in one script call (recordMetrics)
 * at most every METRICS_FLUSH_SECONDS, issued at the end of a request
 * without being awaited. SCF freezes a container once its response is sent,
 * so the write is issued before the response is returned: ioredis hands the
 * command to the socket at once (the reply, read whenever the container runs
 * again, is not needed). What is still buffered when a container freezes goes
 * out with its next request after the interval (into the minutes it was
 * counted in); a container reclaimed while frozen loses at most its last
 * interval's counts. Stated in docs/metrics.md.
 */
import type { RedisClient } from '../redis';
import { log } from '../log';
import { errorMessage } from '../errors';
import { roomPartitions } from '../rooms/partitions';
import { metricsTotalKey, metricsMinuteKey, METRICS_MINUTE_TTL_MS } from './keys';
import { SCRIPTS } from './lua.generated';
import { DURATION_BUCKETS, field } from './fields';

/** Where a field goes: both hashes, the running totals only, or the minute hash only. */
type Target = 'both' | 'total' | 'minute';

interface MinuteCounts {
  both: Map<string, number>;
  total: Map<string, number>;
  minute: Map<string, number>;
}

const buffer = new Map<number, MinuteCounts>();
let enabled = true;
let lastFlush = 0;
/**
 * This container's partition for its own counts (summed over partitions when
 * read): one of at most METRICS_HOMES evenly spaced partitions, so they spread
 * over a cluster's masters while the minute hashes they fill stay few
 * (memory: docs/metrics.md).
 */
let home: number | undefined;
const METRICS_HOMES = 4;

/** The partitions containers write their counts to (readers of those counts need read no others). */
export function metricsHomePartitions(): number[] {
  const n = roomPartitions();
  const homes = Math.min(n, METRICS_HOMES);
  return Array.from({ length: homes }, (_, i) => i * Math.floor(n / homes));
}

function homePartition(): number {
  const homes = metricsHomePartitions();
  return homes[Math.floor(Math.random() * homes.length)]!;
}

function add(target: Target, name: string, n: number, now = Date.now()): void {
  if (!enabled || n === 0) return;
  const minute = Math.floor(now / 60_000);
  let counts = buffer.get(minute);
  if (!counts) buffer.set(minute, (counts = { both: new Map(), total: new Map(), minute: new Map() }));
  const map = counts[target];
  map.set(name, (map.get(name) ?? 0) + n);
}

/** The bucket index of a duration: the first upper bound it does not exceed (DURATION_BUCKETS.length = +Inf). */
export function bucketOf(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  return i;
}

const micros = (seconds: number) => Math.max(0, Math.round(seconds * 1e6));

/**
 * One answered request. Its count is kept per minute and in total; its
 * duration per endpoint in the totals (the Prometheus histogram) and
 * across endpoints per minute (the dashboard's p50/p99), which keeps the
 * minute hashes small (docs/metrics.md, memory).
 */
export function countRequest(endpoint: string, roomType: string | undefined, code: number, seconds: number): void {
  const b = bucketOf(seconds);
  add('both', field('req', endpoint, roomType ?? '-', String(code)), 1);
  add('total', field('dur', endpoint, String(b)), 1);
  add('total', field('dursum', endpoint), micros(seconds));
  add('minute', field('mdur', String(b)), 1);
  add('minute', field('mdursum'), micros(seconds));
}

/**
 * One admin plane request (`admin/<route>`): in the totals only, so the
 * dashboard's own polling does not show in the per-minute request and
 * latency charts it draws.
 */
export function countAdminRequest(route: string, code: number, seconds: number): void {
  add('total', field('req', `admin/${route}`, '-', String(code)), 1);
  add('total', field('dur', `admin/${route}`, String(bucketOf(seconds))), 1);
  add('total', field('dursum', `admin/${route}`), micros(seconds));
}

/** An accepted heartbeat (pusher_heartbeat, webrtc_room heartbeat). */
export const countHeartbeat = (roomType: string) => add('both', field('hb', roomType), 1);

/** One IM REST call (all attempts): `ok` or `error`. */
export const countImCall = (command: string, outcome: 'ok' | 'error') => add('both', field('im', command, outcome), 1);

/** One Cloud API call: `<service>.<Action>`, `ok` or `error`. */
export const countCloudCall = (service: string, action: string, outcome: 'ok' | 'error') => add('both', field('cloud', `${service}.${action}`, outcome), 1);

/**
 * Webhook delivery to one receiver (its id, never the URL): events
 * delivered, failed attempts (each is retried or parked), batches parked
 * as dead letters; and the lag of delivered events (delivery time minus the
 * event's time).
 */
export function countWebhook(receiver: string, what: 'delivered' | 'failed' | 'parked', n: number): void {
  add('both', field('wh', what, receiver), n);
}
export function observeWebhookLag(seconds: number, events: number): void {
  add('both', field('whlag', String(bucketOf(seconds))), events);
  add('both', field('whlagsum'), micros(seconds) * events);
}

/** One sweeper run and how long it took. */
export function countSweep(seconds: number): void {
  add('both', field('sweep', String(bucketOf(seconds))), 1);
  add('both', field('sweepsum'), micros(seconds));
}

/**
 * Writes the buffered counts (every buffered minute, one script call each),
 * when the interval has passed or `force`. Never throws and never rejects;
 * the request path does not await it (see above); the admin plane does.
 */
/**
 * What a flush needs of the runtime, spelled out rather than the Runtime type:
 * the IM and cloud clients record metrics here, and the Runtime names them, so
 * naming it would close an import circle (tests/unit/import-cycles.test.ts).
 */
export interface MetricsStore {
  config: { keyPrefix: string; metrics: { flushMs: number } };
  redis: RedisClient;
}

export function flushMetrics(rt: MetricsStore, force = false): Promise<void> {
  const now = Date.now();
  if (buffer.size === 0 || (!force && now - lastFlush < rt.config.metrics.flushMs)) return Promise.resolve();
  lastFlush = now;
  home ??= homePartition();
  const prefix = rt.config.keyPrefix;
  const writes: Promise<unknown>[] = [];
  for (const [minute, counts] of buffer) {
    const args: (string | number)[] = [METRICS_MINUTE_TTL_MS, counts.both.size, counts.total.size];
    for (const map of [counts.both, counts.total, counts.minute]) for (const [name, n] of map) args.push(name, n);
    writes.push(rt.redis.eval(SCRIPTS.recordMetrics.lua, 2, metricsMinuteKey(prefix, minute, home), metricsTotalKey(prefix, home), ...args));
  }
  buffer.clear();
  return Promise.all(writes).then(
    () => undefined,
    (error: unknown) => log({ event: 'metrics_flush_failed', error: errorMessage(error) }),
  );
}

/** METRICS (the runtime sets it): false records nothing from now on. */
export function setMetricsEnabled(on: boolean): void {
  enabled = on;
  if (!on) buffer.clear();
}

/** Tests only: drop what is buffered. */
export function resetMetricsBuffer(): void {
  buffer.clear();
  lastFlush = 0;
}
