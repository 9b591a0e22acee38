/**
 * What the metrics cost (issue 23): the heartbeat through its handler with the
 * request counters on and off, in alternating windows of one process (the
 * recorder is switched between windows; room events are counted inside their
 * scripts either way, and the heartbeat appends none), and the Redis memory of
 * the metrics hashes after a mixed workload, projected to the 48 hours kept.
 */
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { flushMetrics, setMetricsEnabled } from '../../shared/metrics/recorder';
import { metricsMinuteKey, metricsTotalKey, METRICS_RETENTION_MINUTES } from '../../shared/metrics/keys';
import { allPartitions } from '../../shared/rooms/partitions';
import { apiEvent, type Bed } from '../lib/bed';
import { closedLoop, median, round } from '../lib/stats';
import { CALLERS, seatUsers } from './heartbeat';

export interface MetricsCostResult {
  onPerSecond: number[];
  offPerSecond: number[];
  ratios: number[];
  /** Median of the per-pair ratios (on / off). */
  ratio: number;
  /** MEMORY USAGE of the busiest minute hash and of the totals, and their field counts, after the workload. */
  minuteBytes: number;
  minuteFields: number;
  totalBytes: number;
  totalFields: number;
  /** The minute hashes' bound per partition written to: one such hash per minute for 48 hours. */
  boundBytesPerPartition: number;
}

export async function runMetricsCost(bed: Bed, options: { reps: number; warmMs: number; measureMs: number }): Promise<MetricsCostResult> {
  const seated = await seatUsers(bed, 'mc');
  bed.use();
  let invocation = 0;
  const beat = async (caller: number) => {
    const { user, roomID } = seated[caller]!;
    const response = await heartbeat(apiEvent('/weapp/multi_room/pusher_heartbeat', { userID: user.userId, token: user.token }, { userID: user.userId, roomID }), {
      request_id: `mc-${++invocation}`,
      function_name: 'pusher_heartbeat',
    });
    return response.statusCode === 200 && response.body.startsWith('{"code":0,');
  };
  const windowOf = async (on: boolean) => {
    setMetricsEnabled(on);
    await closedLoop(CALLERS, beat, 0, options.warmMs);
    const run = await closedLoop(CALLERS, beat, 0, options.measureMs);
    if (run.failed > 0) throw new Error(`${run.failed} heartbeats failed with metrics ${on ? 'on' : 'off'}`);
    return run.perSecond;
  };
  await windowOf(true);
  const onPerSecond: number[] = [];
  const offPerSecond: number[] = [];
  const ratios: number[] = [];
  for (let rep = 0; rep < options.reps; rep++) {
    // Alternate the order so drift (other load on the shared cores) hits both sides alike.
    const first = await windowOf(rep % 2 === 0);
    const second = await windowOf(rep % 2 !== 0);
    const [on, off] = rep % 2 === 0 ? [first, second] : [second, first];
    onPerSecond.push(round(on, 0));
    offPerSecond.push(round(off, 0));
    ratios.push(round(on / off, 3));
  }
  setMetricsEnabled(true);

  // Memory: a minute of a mixed workload (every endpoint of a room's life, errors included) on the same bed.
  const [a, b] = [seated[0]!.user, seated[1]!.user];
  for (let i = 0; i < 20; i++) {
    const roomID = `mem_${i}`;
    await bed.join(a, 'live_room', roomID);
    await bed.call(b, 'live_room', 'add_audience', { roomID, userInfo: 'x' });
    await bed.call(b, 'live_room', 'get_audiences', { roomID });
    await bed.call(a, 'live_room', 'get_pushers', { roomID });
    await bed.call(a, 'live_room', 'set_custom_field', { roomID, fieldName: 'likes', operation: 'inc' });
    await bed.call(b, 'live_room', 'pusher_heartbeat', { roomID }, 5);
    await bed.call(b, 'live_room', 'delete_audience', { roomID });
    await bed.call(a, 'live_room', 'delete_pusher', { roomID });
  }
  await flushMetrics(bed.rt, true);
  const prefix = bed.rt.config.keyPrefix;
  const minute = Math.floor(Date.now() / 60_000);
  let minuteBytes = 0;
  let minuteFields = 0;
  for (const p of allPartitions()) {
    for (const m of [minute, minute - 1]) {
      const key = metricsMinuteKey(prefix, m, p);
      const bytes = Number((await bed.rt.redis.call('MEMORY', 'USAGE', key)) ?? 0);
      if (bytes > minuteBytes) [minuteBytes, minuteFields] = [bytes, await bed.rt.redis.hlen(key)];
    }
  }
  const total = metricsTotalKey(prefix, 0);
  return {
    onPerSecond,
    offPerSecond,
    ratios,
    ratio: round(median(ratios), 3),
    minuteBytes,
    minuteFields,
    totalBytes: Number((await bed.rt.redis.call('MEMORY', 'USAGE', total)) ?? 0),
    totalFields: await bed.rt.redis.hlen(total),
    boundBytesPerPartition: minuteBytes * METRICS_RETENTION_MINUTES,
  };
}
