/**
 * The sweeper: reaps rooms whose deadline passed (silent pushers, idle rooms)
 * and performs the IM side effects, including any a crashed request left in
 * the outbox. Cost grows with the number of due rooms, not with all rooms: it
 * reads the deadline index from its earliest entry. Safe to run concurrently
 * with itself and with requests: each reap is one atomic script, so a seat is
 * reaped once and only the run that reaped it notifies. Then it bounds the
 * event log and delivers the webhooks still pending (shared/events/webhooks.ts).
 * With ROOM_PARTITIONS > 1 it walks every partition, a few at a time.
 */
import { ROOM_TYPES, type RoomType } from '../config';
import { allPartitions } from './keys';
import { log } from '../log';
import type { Runtime } from '../services';
import { performEffect } from './effects';
import type { PendingEffect, SpareVerdict } from './store';
import { errorMessage } from '../errors';
import { deliverWebhooks, type DeliveryReport } from '../events/webhooks';
import { countSweep, flushMetrics } from '../metrics/recorder';
import { performDueRecordings } from '../recording/perform';

/** Bounds one run so a backlog is worked off over several runs, never in one long one. */
const MAX_BATCHES_PER_RUN = 20;
const EFFECT_CONCURRENCY = 16;
/** Partitions swept at once (each one's types and batches in order). */
const PARTITION_CONCURRENCY = 4;

export interface SweepReport {
  effects: number;
  batches: number;
  /** Overdue seats the stream state API vouched for (active, or no answer); the reap script decides which it keeps. */
  spared: number;
  /** Events in the log after trimming it to its bounds. */
  events: number;
  /** Rooms whose recording work was due (left by a crash, a failed call or a lost lease); 0 without RECORD_STORAGE. */
  recordings: number;
  /** Webhook delivery of this run (after the reaping, so its events go too); absent without WEBHOOK_URL. */
  webhooks?: DeliveryReport;
}

/** Time one run spends delivering webhooks at most (the function's timeout is 60 s). */
const WEBHOOK_BUDGET_MS = 30_000;

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}

/**
 * CHECK_STREAM_BEFORE_EVICT: asks the stream state API about each overdue
 * seat. Per its doc a timeout or error counts as still online ('unknown'):
 * the reap script keeps such a seat only within the room's seats and for at
 * most CHECK_STREAM_MAX_SPARE, so a dead API cannot seat a ghost forever.
 */
async function streamVerdicts(rt: Runtime, type: RoomType, partition: number): Promise<{ verdicts: Map<string, SpareVerdict>; asOf: number }> {
  const { asOf, seats: overdue } = await rt.rooms.overdueSeats(type, rt.config.sweepBatch, partition);
  const verdicts = new Map<string, SpareVerdict>();
  await inParallel(overdue, EFFECT_CONCURRENCY, async (seat) => {
    if (!seat.streamId) return;
    try {
      if ((await rt.live.streamState(seat.streamId)) === 'active') verdicts.set(`${seat.roomId}|${seat.userId}`, 'live');
    } catch (error) {
      verdicts.set(`${seat.roomId}|${seat.userId}`, 'unknown');
      log({ event: 'stream_check_failed', roomId: seat.roomId, error: errorMessage(error) });
    }
  });
  return { verdicts, asOf };
}

export async function sweep(rt: Runtime): Promise<SweepReport> {
  const started = performance.now();
  const report: SweepReport = { effects: 0, batches: 0, spared: 0, events: 0, recordings: 0 };
  // Every partition (ROOM_PARTITIONS) has its own deadline indexes and outboxes,
  // often on another master: a few partitions at a time.
  await inParallel(allPartitions(), PARTITION_CONCURRENCY, async (partition) => {
    for (const type of ROOM_TYPES) {
      for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
        // Each batch's overdue seats are checked right before that batch is reaped
        // (the scan and the reap cover the same first due rooms, judged as of one moment).
        const checked = rt.config.live.checkStreamBeforeEvict ? await streamVerdicts(rt, type, partition) : undefined;
        report.spared += checked?.verdicts.size ?? 0;
        const { effects, more } = await rt.rooms.reapDue(type, rt.config.sweepBatch, checked, rt.config.live.checkStreamMaxSpareMs, rt.config.trtc.presenceMaxSilenceMs, partition);
        report.batches++;
        report.effects += effects.length;
        await inParallel<PendingEffect>(effects, EFFECT_CONCURRENCY, (e) => performEffect(rt, e.type, e.roomId, e.effect, e.userId));
        if (!more) break;
      }
    }
  });
  report.recordings = await performDueRecordings(rt, rt.config.sweepBatch);
  report.events = await rt.rooms.trimEvents();
  // The guarantee behind the requests' kicks, which a frozen or failed function may not finish.
  if (rt.config.webhooks.urls.length > 0) report.webhooks = await deliverWebhooks(rt, WEBHOOK_BUDGET_MS);
  countSweep((performance.now() - started) / 1000);
  // The timer function answers nobody in a hurry: its counts (and a quiet container's) go out now.
  await flushMetrics(rt, true);
  return report;
}
