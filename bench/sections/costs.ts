/**
 * What heartbeats cost, computed in the run from two measured inputs and
 * Tencent's published prices (bench/lib/prices.ts), with the arithmetic of
 * bench/lib/cost-model.ts:
 *
 *  - the heartbeat's warm duration, which SCF bills: the router
 *    (functions/router.ts, the one function serverless.yml deploys for every
 *    route) called with heartbeat events, one in flight, against the real
 *    Redis; the pusher_heartbeat function's own entry point is timed in turn
 *    with it and printed beside it;
 *  - Redis CPU per heartbeat, the whole request (read, parse, EVALSHA,
 *    reply): INFO cpu of a private redis-server over thousands of heartbeats
 *    per room type (the shared Redis's CPU counts every other client too), the
 *    least of five windows (other jobs on the machine only ever add to it).
 *
 * From them: (a) one million heartbeats on SCF at 128 and 256 MB, (b)
 * heartbeats per second one TencentDB for Redis shard carries, (c) a
 * 10,000-pusher app at the clients' 7 s interval, (d) Web Functions with
 * per-instance concurrency against event functions. docs/costs.md explains
 * the formulas; a full (not --quick) run writes the figures into it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { main_handler as heartbeat } from '../../functions/pusher_heartbeat';
import { main_handler as router } from '../../functions/router';
import { ROOM_TYPES, type RoomType } from '../../shared/config';
import { apiEvent, Bed } from '../lib/bed';
import {
  breakEvenMs,
  eventCostPerMillion,
  heartbeatsPerSecond,
  meanBilledMs,
  monthlyUsd,
  shardCeiling,
  shardsNeeded,
  webBilledSecondsPerSecond,
  webCostPerMillion,
  type PerMillion,
  type ScfPrices,
  type ShardCeiling,
} from '../lib/cost-model';
import { HEARTBEAT_INTERVAL_S, PRICES, SECONDS_PER_MONTH } from '../lib/prices';
import { percentile, round } from '../lib/stats';
import { seatForType } from './heartbeat';
import { measureHeartbeatCpu, privateBed, privateRedis } from './script-cpu';

export const MEMORY_SIZES_MB = [128, 256] as const;
export const APP_PUSHERS = 10_000;
/** The shard headroom docs/costs.md also plans with: a shard kept at half its ceiling. */
export const SHARD_UTILISATION = 0.5;
/** Cores of command time per shard: Redis runs commands and scripts on one main thread. */
export const COMMAND_CORES = 1;
/** Billed durations (ms) of the docs' what-if table: SCF's CPU share at 128-256 MB and the VPC hop to Redis make a warm call slower than here. */
export const SENSITIVITY_MS = [1, 5, 10, 20, 50, 100] as const;

export interface CostsResult {
  /** Warm heartbeats through the router (as deployed), one in flight, real Redis (ms). */
  duration: { calls: number; meanMs: number; p50Ms: number; p99Ms: number; billedMeanMs: number; granularityMs: number };
  /** The same calls to functions/pusher_heartbeat.ts's entry point, alternating with the router's (ms). */
  direct?: { meanMs: number; p50Ms: number; p99Ms: number };
  /** Redis CPU per heartbeat request on a private redis-server (us), per room type; undefined without redis-server. */
  redisCpuUs?: Partial<Record<RoomType, number>>;
  /** EVALSHA time alone (INFO commandstats), same calls. */
  evalshaUs?: Partial<Record<RoomType, number>>;
  /** The Redis CPU figure the shard figures use: the worst room type. */
  redisCpuUsUsed?: number;
  redisNote: string;
  perMillion: Record<`${(typeof MEMORY_SIZES_MB)[number]}`, PerMillion>;
  breakEvenMs: Record<`${(typeof MEMORY_SIZES_MB)[number]}`, number>;
  shard?: ShardCeiling & { pushers: number };
  app: {
    pushers: number;
    intervalS: number;
    heartbeatsPerSecond: number;
    millionsPerMonth: number;
    scfUsdPerMonth: Record<`${(typeof MEMORY_SIZES_MB)[number]}`, number>;
    shards?: number;
    shardsAtHalf?: number;
  };
  web: {
    memoryMb: number;
    instances: number;
    inFlight: number;
    billedSecondsPerSecond: number;
    eventPerMillion: number;
    webPerMillion: number;
    /** Saving of web over event, share of the event bill (0-1); negative = dearer. */
    saving: number;
    /** The most any billing of duration could save: the GB-second share of the event bill. */
    maxSaving: number;
  };
}

export interface CostRow {
  figure: string;
  measured: string;
  target: string;
  verdict: 'report';
}

export function scfPrices(): ScfPrices {
  return { gbSecondUsd: PRICES.scfGbSecondUsd.value, invocationUsd: PRICES.scfInvocationUsd.value, granularityMs: PRICES.scfBillingGranularityMs.value };
}

/** Durations (ms) of `calls` warm heartbeats through the router and as many to pusher_heartbeat's entry point, alternating, one in flight. */
async function heartbeatDurations(bed: Bed, calls: number): Promise<{ router: number[]; direct: number[] }> {
  const callers = await seatForType(bed, 'multi_room');
  bed.use();
  const events = callers.map(({ user, roomID }) =>
    JSON.stringify(apiEvent('/weapp/multi_room/pusher_heartbeat', { userID: user.userId, token: user.token }, { userID: user.userId, roomID })),
  );
  const once = async (handler: typeof heartbeat, i: number): Promise<number> => {
    // A fresh event object per call, as the SCF runtime hands each invocation its own.
    const event = JSON.parse(events[i % events.length]!) as Record<string, unknown>;
    const started = performance.now();
    const response = await handler(event, {});
    const ms = performance.now() - started;
    if (!response.body.startsWith('{"code":0,')) throw new Error(`heartbeat answered ${response.body}`);
    return ms;
  };
  // A warm container: JIT, script cache, connection.
  for (let i = 0; i < Math.min(500, calls); i++) {
    await once(router, i);
    await once(heartbeat, i);
  }
  const durations = { router: [] as number[], direct: [] as number[] };
  for (let i = 0; i < calls; i++) {
    durations.router.push(await once(router, i));
    durations.direct.push(await once(heartbeat, i));
  }
  return durations;
}

/**
 * Redis CPU per heartbeat request (the process's: read, parse, EVALSHA,
 * reply) and EVALSHA time alone, per room type, on a private redis-server with
 * Redis busy (the handlers' own commands replayed: script-cpu.ts
 * measureHeartbeatCpu), as on a shard that carries many pushers.
 */
async function redisCpuPerHeartbeat(calls: number): Promise<{ cpu: Partial<Record<RoomType, number>>; evalsha: Partial<Record<RoomType, number>> } | undefined> {
  const redis = await privateRedis();
  if (!redis) return undefined;
  const bed = await privateBed('cost-cpu', redis.url);
  const stats = new Redis(redis.url);
  try {
    const cpu: Partial<Record<RoomType, number>> = {};
    const script: Partial<Record<RoomType, number>> = {};
    for (const type of ROOM_TYPES) {
      const { busy } = await measureHeartbeatCpu(bed, stats, type, calls);
      cpu[type] = busy.processUs;
      script[type] = busy.us;
    }
    return { cpu, evalsha: script };
  } finally {
    stats.disconnect();
    await bed.close();
    await redis.stop();
  }
}

/** Every figure of the section from its two measured inputs and the prices (no I/O: tests call it). */
export function computeCosts(durationsMs: readonly number[], redisCpuUs: Partial<Record<RoomType, number>> | undefined, p: ScfPrices = scfPrices()): Omit<CostsResult, 'evalshaUs' | 'redisNote'> {
  const meanMs = durationsMs.reduce((a, b) => a + b, 0) / durationsMs.length;
  const billed = meanBilledMs(durationsMs, p.granularityMs);
  const perMillion = Object.fromEntries(MEMORY_SIZES_MB.map((mb) => [mb, eventCostPerMillion(mb, billed, p)])) as CostsResult['perMillion'];
  const breakEven = Object.fromEntries(MEMORY_SIZES_MB.map((mb) => [mb, breakEvenMs(mb, p)])) as CostsResult['breakEvenMs'];
  const rate = heartbeatsPerSecond(APP_PUSHERS, HEARTBEAT_INTERVAL_S);
  const worst = redisCpuUs && Object.keys(redisCpuUs).length > 0 ? Math.max(...Object.values(redisCpuUs)) : undefined;
  const ceiling = worst !== undefined ? shardCeiling(worst, COMMAND_CORES, PRICES.redisShardQps.value) : undefined;
  // (d) at 256 MB, the router's memory in serverless.yml, where GB-seconds weigh more than at 128 MB; one instance
  // takes every request: both the best case for web functions.
  const webMb = 256;
  const web = webCostPerMillion(webMb, rate, meanMs, 1, p);
  const event = perMillion[webMb];
  return {
    duration: { calls: durationsMs.length, meanMs, p50Ms: percentile(durationsMs, 50), p99Ms: percentile(durationsMs, 99), billedMeanMs: billed, granularityMs: p.granularityMs },
    redisCpuUs,
    redisCpuUsUsed: worst,
    perMillion,
    breakEvenMs: breakEven,
    shard: ceiling && { ...ceiling, pushers: ceiling.ceiling * HEARTBEAT_INTERVAL_S },
    app: {
      pushers: APP_PUSHERS,
      intervalS: HEARTBEAT_INTERVAL_S,
      heartbeatsPerSecond: rate,
      millionsPerMonth: (rate * SECONDS_PER_MONTH) / 1e6,
      scfUsdPerMonth: Object.fromEntries(MEMORY_SIZES_MB.map((mb) => [mb, monthlyUsd(rate, perMillion[mb].total, SECONDS_PER_MONTH)])) as CostsResult['app']['scfUsdPerMonth'],
      shards: ceiling && shardsNeeded(rate, ceiling.ceiling),
      shardsAtHalf: ceiling && shardsNeeded(rate, ceiling.ceiling, SHARD_UTILISATION),
    },
    web: {
      memoryMb: webMb,
      instances: 1,
      inFlight: rate * (meanMs / 1000),
      billedSecondsPerSecond: webBilledSecondsPerSecond(rate, meanMs / 1000, 1),
      eventPerMillion: event.total,
      webPerMillion: web.total,
      saving: (event.total - web.total) / event.total,
      maxSaving: event.computeShare,
    },
  };
}

const usd = (v: number, digits = 4) => `$${v.toFixed(digits)}`;
const int = (v: number) => Math.round(v).toLocaleString('en');
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The bench rows of the section. */
export function costRows(r: CostsResult): CostRow[] {
  const row = (figure: string, measured: string): CostRow => ({ figure, measured, target: 'report', verdict: 'report' });
  const d = r.duration;
  const rows = [
    row(
      'heartbeat warm duration through the router (as deployed), 1 in flight, real Redis',
      `mean ${d.meanMs.toFixed(2)} ms, p50 ${d.p50Ms.toFixed(2)}, p99 ${d.p99Ms.toFixed(2)}; billed ${d.billedMeanMs.toFixed(2)} ms each (rounded up to ${d.granularityMs} ms; ${d.calls} calls)` +
        (r.direct ? `; pusher_heartbeat's own entry point: mean ${r.direct.meanMs.toFixed(2)} ms, p50 ${r.direct.p50Ms.toFixed(2)}, p99 ${r.direct.p99Ms.toFixed(2)}` : ''),
    ),
    row(
      'Redis CPU per heartbeat request (private redis-server, INFO cpu)',
      r.redisCpuUs
        ? `${Object.entries(r.redisCpuUs).map(([t, us]) => `${t} ${us}`).join(', ')} us (EVALSHA alone ${Object.entries(r.evalshaUs ?? {}).map(([t, us]) => `${t} ${us}`).join(', ')} us); worst ${r.redisCpuUsUsed} us used below`
        : r.redisNote,
    ),
    row(
      '(a) SCF cost of 1,000,000 heartbeats (event function, published prices)',
      MEMORY_SIZES_MB.map((mb) => {
        const c = r.perMillion[mb];
        return `${mb} MB ${usd(c.total)} (invocations ${usd(c.invocations)} + GB-s ${usd(c.compute)})`;
      }).join('; '),
    ),
    row('    billed duration at which GB-seconds cost as much as invocations', MEMORY_SIZES_MB.map((mb) => `${mb} MB ${r.breakEvenMs[mb].toFixed(1)} ms`).join(', ')),
    row(
      '(b) heartbeats/s one TencentDB for Redis shard carries',
      r.shard
        ? `${int(r.shard.ceiling)}/s (${COMMAND_CORES} core at ${r.redisCpuUsUsed} us: ${int(r.shard.byCpu)}/s; Tencent's QPS ${int(r.shard.published)}/shard) = ${int(r.shard.pushers)} pushers at ${r.app.intervalS} s`
        : 'not computed: no Redis CPU figure',
    ),
    row(
      `(c) ${int(r.app.pushers)} pushers at ${r.app.intervalS} s`,
      `${r.app.heartbeatsPerSecond.toFixed(1)} heartbeats/s, ${int(r.app.millionsPerMonth)} M/month (30 d); SCF ${MEMORY_SIZES_MB.map((mb) => `${usd(r.app.scfUsdPerMonth[mb], 2)}/month at ${mb} MB`).join(', ')}; ` +
        (r.app.shards !== undefined ? `Redis shards ${r.app.shards} (${r.app.shardsAtHalf} at ${SHARD_UTILISATION * 100}% CPU)` : 'shards not computed') +
        '; the shard price and any Function URL or API Gateway fee not included (not found)',
    ),
    row(
      `(d) Web Function, per-instance concurrency, vs event function (${r.web.memoryMb} MB, ${int(r.app.pushers)} pushers)`,
      `${usd(r.web.webPerMillion)} vs ${usd(r.web.eventPerMillion)} per 1M: ${r.web.saving >= 0 ? 'saves' : 'costs'} ${pct(Math.abs(r.web.saving))} (one instance, ${r.web.inFlight.toFixed(2)} requests in flight, billed ${r.web.billedSecondsPerSecond.toFixed(3)} s/s); no billing of duration can save more than ${pct(r.web.maxSaving)} (the GB-s share)`,
    ),
  ];
  return rows;
}

export const COSTS_FILE = 'docs/costs.md';
export const COSTS_START = '<!-- figures:costs (written by `npm run bench`; do not edit by hand) -->';
export const COSTS_END = '<!-- /figures:costs -->';

/** The markdown the bench writes between the markers of docs/costs.md. */
export function costsBlock(r: CostsResult, how: { date: string; node: string; cpus: number; load: number }): string {
  return [
    `Last full \`npm run bench\` (${how.date}, Node ${how.node}, ${how.cpus} CPUs, 1-minute load average ${how.load.toFixed(1)}), prices as of bench/lib/prices.ts:`,
    '',
    '| figure | value |',
    '|---|---|',
    ...costRows(r).map((row) => `| ${row.figure.trim()} | ${row.measured.replace(/\|/g, '\\|')} |`),
    '',
    'SCF cost of 1,000,000 heartbeats (event function) should the billed duration on SCF be longer than measured here:',
    '',
    `| billed ms | ${MEMORY_SIZES_MB.map((mb) => `${mb} MB`).join(' | ')} |`,
    `|---:|${MEMORY_SIZES_MB.map(() => '---:').join('|')}|`,
    ...SENSITIVITY_MS.map((ms) => `| ${ms} | ${MEMORY_SIZES_MB.map((mb) => usd(eventCostPerMillion(mb, ms, scfPrices()).total)).join(' | ')} |`),
  ].join('\n');
}

/** Replaces the block in docs/costs.md; false when the markers are missing. */
export function writeCostsBlock(block: string, root = path.join(__dirname, '..', '..')): boolean {
  const file = path.join(root, COSTS_FILE);
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(COSTS_START);
  const end = text.indexOf(COSTS_END);
  if (start === -1 || end === -1 || end < start) return false;
  writeFileSync(file, `${text.slice(0, start + COSTS_START.length)}\n${block}\n${text.slice(end)}`);
  return true;
}

export async function runCosts(bed: Bed, options: { calls: number; cpuCalls: number }): Promise<CostsResult> {
  const durations = await heartbeatDurations(bed, options.calls);
  const redis = await redisCpuPerHeartbeat(options.cpuCalls);
  const computed = computeCosts(durations.router, redis?.cpu);
  const direct = durations.direct;
  return {
    ...computed,
    direct: { meanMs: direct.reduce((a, b) => a + b, 0) / direct.length, p50Ms: percentile(direct, 50), p99Ms: percentile(direct, 99) },
    evalshaUs: redis?.evalsha,
    redisNote: redis
      ? `private redis-server, ${options.cpuCalls} heartbeats per room type with Redis busy (the handlers' own EVALSHA commands replayed, 16 in flight), INFO cpu (user + sys) / heartbeats`
      : 'redis-server not installed: no private Redis to measure CPU per heartbeat on',
  };
}
