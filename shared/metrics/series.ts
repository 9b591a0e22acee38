/**
 * GET /admin/metrics/series: the dashboard's charts, per minute over the
 * last hour or day, from the per-minute metrics hashes the containers write
 * (requests, errors, latency, webhook lag: only their few home partitions) and from the event log (rooms and pushers, the same
 * computation as /admin/usage, so both agree).
 */
import type { Runtime } from '../services';
import { DURATION_BUCKETS, parseField } from './fields';
import { readMinutes, type Counts } from './read';
import { metricsHomePartitions } from './recorder';
import { usageByMinute } from './usage';

export const SERIES_RANGES = ['1h', '24h'] as const;
export type SeriesRange = (typeof SERIES_RANGES)[number];

const MINUTES: Record<SeriesRange, number> = { '1h': 60, '24h': 1440 };

/**
 * The q-quantile of one minute's request durations (seconds), as Prometheus'
 * histogram_quantile estimates it: linear inside the bucket that holds it.
 */
export function quantile(q: number, buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i]!;
    if (below + n >= rank && n > 0) {
      // The +Inf bucket answers its lower bound (the largest finite one), as Prometheus does.
      if (i === DURATION_BUCKETS.length) return DURATION_BUCKETS[DURATION_BUCKETS.length - 1]!;
      const lo = i === 0 ? 0 : DURATION_BUCKETS[i - 1]!;
      const hi = DURATION_BUCKETS[i]!;
      return lo + (hi - lo) * ((rank - below) / n);
    }
    below += n;
  }
  return null;
}

function minuteFigures(counts: Counts) {
  let requests = 0;
  let errors = 0;
  const buckets = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  let lagSum = 0;
  let lagCount = 0;
  for (const [name, value] of counts) {
    const [kind, ...parts] = parseField(name);
    if (kind === 'req') {
      requests += value;
      if (parts[2] !== '0') errors += value;
    } else if (kind === 'mdur') buckets[Number(parts[0])]! += value;
    else if (kind === 'whlag') lagCount += value;
    else if (kind === 'whlagsum') lagSum += value / 1e6;
  }
  const round = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
  return { requests, errors, p50: round(quantile(0.5, buckets)), p99: round(quantile(0.99, buckets)), webhookLag: lagCount > 0 ? round(lagSum / lagCount) : null };
}

export async function metricSeries(rt: Runtime, range: SeriesRange, now = Date.now()) {
  const last = Math.floor(now / 60_000);
  const first = last - MINUTES[range] + 1;
  const [byMinute, presence] = await Promise.all([readMinutes(rt, first, last, metricsHomePartitions()), usageByMinute(rt, first * 60_000, now)]);
  const minutes: number[] = [];
  const out = { requests: [] as number[], errors: [] as number[], p50: [] as (number | null)[], p99: [] as (number | null)[], webhookLag: [] as (number | null)[] };
  for (let m = first; m <= last; m++) {
    minutes.push(m * 60_000);
    const f = minuteFigures(byMinute.get(m)!);
    out.requests.push(f.requests);
    out.errors.push(f.errors);
    out.p50.push(f.p50);
    out.p99.push(f.p99);
    out.webhookLag.push(f.webhookLag);
  }
  return { minutes, ...out, rooms: presence.rooms, pushers: presence.pushers };
}
