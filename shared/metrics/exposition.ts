/**
 * GET /admin/metrics: the running totals and the gauges in the Prometheus
 * text exposition format, every name prefixed `roomservice_`. The text is
 * written by prom-client (escaping, label and histogram layout) from metric
 * objects built here: the counts were made by many containers and live in
 * Redis, so they are registered as finished values (the way prom-client's
 * own cluster aggregator registers the metrics it merged from its workers)
 * instead of being counted by its in-process Counter objects.
 * docs/metrics.md lists them.
 */
import Registry from 'prom-client/lib/registry';
import { ROOM_TYPES } from '../config';
import type { Runtime } from '../services';
import { receiverId, webhookStatus } from '../events/webhooks';
import { DURATION_BUCKETS, parseField } from './fields';
import { readLiveCounts, readTotals, type Counts } from './read';

type Labels = Record<string, string>;
/** A metric as prom-client's registry reads one from `get()` (the shape of its getMetricsAsJSON()). */
interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: { value: number; labels: Labels; metricName?: string }[];
  aggregator: 'sum';
}

const P = 'roomservice_';

/** A counter or gauge from the totals' fields of one kind, the labels named in order after the kind. */
function fromFields(totals: Counts, kind: string, name: string, help: string, type: 'counter' | 'gauge', labelNames: string[], filter?: (labels: Labels) => boolean): Metric {
  const values: Metric['values'] = [];
  for (const [fieldName, value] of totals) {
    const [k, ...parts] = parseField(fieldName);
    if (k !== kind) continue;
    const labels = Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? ''])) as Labels;
    if (filter && !filter(labels)) continue;
    values.push({ value, labels });
  }
  return { name: P + name, help, type, values, aggregator: 'sum' };
}

/**
 * A histogram from per-bucket counts (`<kind>|<labels...>|<bucket index>`)
 * and sums in microseconds (`<sumKind>|<labels...>`): cumulative buckets,
 * `_sum` in seconds and `_count`, per label set.
 */
function histogram(totals: Counts, kind: string, sumKind: string, name: string, help: string, labelNames: string[]): Metric {
  const series = new Map<string, { labels: Labels; buckets: number[]; sum: number }>();
  const seriesOf = (parts: string[]) => {
    const key = parts.join('|');
    let s = series.get(key);
    if (!s) series.set(key, (s = { labels: Object.fromEntries(labelNames.map((l, i) => [l, parts[i] ?? ''])), buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0), sum: 0 }));
    return s;
  };
  for (const [fieldName, value] of totals) {
    const [k, ...parts] = parseField(fieldName);
    if (k === kind) seriesOf(parts.slice(0, labelNames.length)).buckets[Number(parts[labelNames.length])]! += value;
    else if (k === sumKind) seriesOf(parts.slice(0, labelNames.length)).sum += value / 1e6;
  }
  const values: Metric['values'] = [];
  for (const { labels, buckets, sum } of series.values()) {
    let cumulative = 0;
    buckets.forEach((n, i) => {
      cumulative += n;
      values.push({ metricName: `${P}${name}_bucket`, labels: { ...labels, le: i < DURATION_BUCKETS.length ? String(DURATION_BUCKETS[i]) : '+Inf' }, value: cumulative });
    });
    values.push({ metricName: `${P}${name}_sum`, labels, value: sum });
    values.push({ metricName: `${P}${name}_count`, labels, value: cumulative });
  }
  return { name: P + name, help, type: 'histogram', values, aggregator: 'sum' };
}

/** The room events counted by the scripts, by event type. */
const EVENT_METRICS: { event: string; name: string; help: string; reason: boolean }[] = [
  { event: 'pusher_joined', name: 'seats_joined_total', help: 'Seats taken (pushers; webrtc_room members), by room type.', reason: false },
  { event: 'pusher_left', name: 'seats_left_total', help: 'Seats left, by room type and reason (left, heartbeat_timeout, stream_stopped, kicked, banned, room_ended).', reason: true },
  { event: 'audience_joined', name: 'audience_joined_total', help: 'Audience joins, by room type.', reason: false },
  { event: 'audience_left', name: 'audience_left_total', help: 'Audience leaves, by room type and reason.', reason: true },
  { event: 'room_created', name: 'rooms_created_total', help: 'Rooms created, by room type.', reason: false },
  { event: 'room_started', name: 'rooms_started_total', help: 'Rooms started (first member entered), by room type.', reason: false },
  { event: 'room_finished', name: 'rooms_finished_total', help: 'Rooms finished, by room type and reason (last_left, creator_left, idle, destroyed, admin).', reason: true },
];

function eventMetrics(totals: Counts): Metric[] {
  return EVENT_METRICS.map(({ event, name, help, reason }) => {
    const m = fromFields(totals, 'ev', name, help, 'counter', ['event', 'room_type', 'reason'], (l) => l.event === event);
    for (const v of m.values) {
      delete v.labels.event;
      if (!reason) delete v.labels.reason;
    }
    return m;
  });
}

/** The whole exposition text (content type: METRICS_CONTENT_TYPE). */
export async function metricsText(rt: Runtime): Promise<string> {
  const [totals, live, webhooks] = await Promise.all([readTotals(rt), readLiveCounts(rt), webhookStatus(rt)]);
  const gauge = (name: string, help: string, pick: (c: (typeof live)[keyof typeof live]) => number): Metric => ({
    name: P + name,
    help,
    type: 'gauge',
    values: ROOM_TYPES.map((t) => ({ labels: { room_type: t }, value: pick(live[t]) })),
    aggregator: 'sum',
  });
  const metrics: Metric[] = [
    fromFields(totals, 'req', 'requests_total', 'Requests answered, by endpoint, room type (- for none) and result code.', 'counter', ['endpoint', 'room_type', 'code']),
    histogram(totals, 'dur', 'dursum', 'request_duration_seconds', 'Time from event to response inside the function, by endpoint.', ['endpoint']),
    fromFields(totals, 'hb', 'heartbeats_total', 'Heartbeats accepted (pusher_heartbeat, webrtc_room heartbeat), by room type.', 'counter', ['room_type']),
    ...eventMetrics(totals),
    fromFields(totals, 'im', 'im_calls_total', 'IM REST API calls (after retries), by API and outcome.', 'counter', ['api', 'outcome']),
    fromFields(totals, 'cloud', 'cloud_api_calls_total', 'Cloud API 3.0 calls (live, TRTC), by <service>.<Action> and outcome.', 'counter', ['api', 'outcome']),
    fromFields(totals, 'wh', 'webhook_events_delivered_total', 'Events receivers acknowledged, by receiver id.', 'counter', ['what', 'receiver'], (l) => l.what === 'delivered'),
    fromFields(totals, 'wh', 'webhook_failures_total', 'Failed webhook batch attempts (each retried later or parked), by receiver id.', 'counter', ['what', 'receiver'], (l) => l.what === 'failed'),
    fromFields(totals, 'wh', 'webhook_dead_letters_total', 'Webhook batches parked as dead letters, by receiver id.', 'counter', ['what', 'receiver'], (l) => l.what === 'parked'),
    histogram(totals, 'whlag', 'whlagsum', 'webhook_lag_seconds', 'Per delivered event: delivery time minus the event time.', []),
    histogram(totals, 'sweep', 'sweepsum', 'sweeper_run_duration_seconds', 'Sweeper runs and how long each took (_count = runs).', []),
    gauge('rooms', 'Entered rooms now, by room type.', (c) => c.rooms),
    gauge('pushers', 'Live seats now (pushers; webrtc_room members), by room type.', (c) => c.pushers),
    gauge('audience', 'Audience members now, by room type.', (c) => c.audience),
    {
      name: `${P}webhook_pending_events`,
      help: 'Events in the log a receiver has not acknowledged yet, by receiver id and URL (origin and path).',
      type: 'gauge',
      values: webhooks.receivers.map((r, i) => ({ labels: { receiver: receiverId(rt.config.webhooks.urls[i]!), url: r.url }, value: r.pending })),
      aggregator: 'sum',
    },
    { name: `${P}webhook_dead_letters`, help: 'Dead letters parked now, waiting for a re-drive.', type: 'gauge', values: [{ labels: {}, value: webhooks.deadLetters }], aggregator: 'sum' },
  ];
  // The 'what' label only chose the series.
  for (const m of metrics) if (m.name.startsWith(`${P}webhook_`)) for (const v of m.values) delete v.labels.what;
  const registry = new Registry();
  for (const metric of metrics) registry.registerMetric({ ...metric, get: async () => metric } as unknown as Parameters<Registry['registerMetric']>[0]);
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
