/**
 * Where the metrics live: per partition (ROOM_PARTITIONS), beside the
 * partition's event log and in its slot, so the room scripts count events
 * in the same step (helpers/metrics.lua names the same keys from the log's).
 */
import { eventLogKey } from '../rooms/keys';

/** Minutes of per-minute buckets kept: 48 hours. */
export const METRICS_RETENTION_MINUTES = 48 * 60;
/** The minute hashes' TTL: 48 hours and two minutes (helpers/metrics.lua uses the same). */
export const METRICS_MINUTE_TTL_MS = METRICS_RETENTION_MINUTES * 60_000 + 120_000;

/** "<slot>": the event log's key without its "ev". */
const base = (prefix: string, p: number) => eventLogKey(prefix, p).slice(0, -2);

/** The partition's counts of one minute (minute = floor(ms / 60,000)). */
export const metricsMinuteKey = (prefix: string, minute: number, p: number) => `${base(prefix, p)}m:${minute}`;

/** The partition's running totals (the Prometheus counters; no TTL, a bounded set of fields). */
export const metricsTotalKey = (prefix: string, p: number) => `${base(prefix, p)}m:all`;
