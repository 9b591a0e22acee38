/**
 * The arithmetic of docs/costs.md: what heartbeats cost on SCF and how many
 * one TencentDB for Redis shard carries, from measured times and published
 * prices (bench/lib/prices.ts). Pure functions, so tests/unit/cost-model.test.ts
 * checks them against figures worked by hand.
 */

export interface ScfPrices {
  /** USD per GB-second. */
  gbSecondUsd: number;
  /** USD per invocation. */
  invocationUsd: number;
  /** Billing granularity of one invocation's duration, ms. */
  granularityMs: number;
}

export interface PerMillion {
  /** USD for the million invocations themselves. */
  invocations: number;
  /** USD for the GB-seconds (memory x billed duration). */
  compute: number;
  total: number;
  /** Share of the total that is GB-seconds (0-1): all that a shorter or shared billed duration can save. */
  computeShare: number;
}

/** One invocation's billed duration: rounded up to the billing granularity. */
export function billedMs(durationMs: number, granularityMs: number): number {
  return Math.max(granularityMs, Math.ceil(durationMs / granularityMs - 1e-9) * granularityMs);
}

/** The mean billed duration of measured invocations (each rounded up on its own, as each is billed). */
export function meanBilledMs(durationsMs: readonly number[], granularityMs: number): number {
  if (durationsMs.length === 0) return NaN;
  return durationsMs.reduce((sum, d) => sum + billedMs(d, granularityMs), 0) / durationsMs.length;
}

function perMillion(invocations: number, compute: number): PerMillion {
  const total = invocations + compute;
  return { invocations, compute, total, computeShare: total > 0 ? compute / total : 0 };
}

/** Event functions: one million invocations, each billed `billedMsEach` at `memoryMb`. */
export function eventCostPerMillion(memoryMb: number, billedMsEach: number, p: ScfPrices): PerMillion {
  return perMillion(1e6 * p.invocationUsd, 1e6 * (memoryMb / 1024) * (billedMsEach / 1000) * p.gbSecondUsd);
}

/** The billed duration (ms) at which the GB-seconds of an invocation cost as much as the invocation fee. */
export function breakEvenMs(memoryMb: number, p: ScfPrices): number {
  return (p.invocationUsd / ((memoryMb / 1024) * p.gbSecondUsd)) * 1000;
}

/** Heartbeats per second of `pushers` each beating every `intervalS`. */
export function heartbeatsPerSecond(pushers: number, intervalS: number): number {
  return pushers / intervalS;
}

export interface ShardCeiling {
  /** Heartbeats/s that `cores` cores of command time carry at the measured Redis CPU per heartbeat. */
  byCpu: number;
  /** Tencent's published commands/s per shard (one heartbeat is one EVALSHA). */
  published: number;
  /** The smaller of the two. */
  ceiling: number;
}

/** Heartbeats per second one shard carries: its command core(s) at 100%, capped by the published QPS. */
export function shardCeiling(redisCpuUsPerHeartbeat: number, cores: number, publishedQps: number): ShardCeiling {
  const byCpu = (1e6 * cores) / redisCpuUsPerHeartbeat;
  return { byCpu, published: publishedQps, ceiling: Math.min(byCpu, publishedQps) };
}

/** Shards for `rate` heartbeats/s when each shard may run at `utilisation` (0-1] of its ceiling. */
export function shardsNeeded(rate: number, perShard: number, utilisation = 1): number {
  return Math.max(1, Math.ceil(rate / (perShard * utilisation) - 1e-9));
}

/** USD a month of `rate` heartbeats/s at `costPerMillionUsd`. */
export function monthlyUsd(rate: number, costPerMillionUsd: number, secondsPerMonth: number): number {
  return ((rate * secondsPerMonth) / 1e6) * costPerMillionUsd;
}

/**
 * Web function with per-instance concurrency: instance-seconds billed per
 * second when `rate` requests/s of `durationS` each (Poisson arrivals) are
 * spread over `instances` instances and each instance is billed for the time
 * it serves at least one request. An instance with load a = rate x duration /
 * instances requests in flight on average is busy a fraction 1 - e^-a of the
 * time (M/G/infinity: the chance that at least one request is in service).
 */
export function webBilledSecondsPerSecond(rate: number, durationS: number, instances: number): number {
  return instances * (1 - Math.exp(-(rate * durationS) / instances));
}

/** Web function: one million requests under the model above (invocations billed per request as for event functions). */
export function webCostPerMillion(memoryMb: number, rate: number, durationMs: number, instances: number, p: ScfPrices): PerMillion {
  const billedSecondsPerRequest = webBilledSecondsPerSecond(rate, durationMs / 1000, instances) / rate;
  return perMillion(1e6 * p.invocationUsd, 1e6 * (memoryMb / 1024) * billedSecondsPerRequest * p.gbSecondUsd);
}
