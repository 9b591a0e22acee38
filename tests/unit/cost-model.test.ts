/**
 * The arithmetic of docs/costs.md (bench/lib/cost-model.ts) against figures
 * worked by hand, and the bench's costs section printing its rows and its
 * block of docs/costs.md from a result.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  billedMs,
  breakEvenMs,
  eventCostPerMillion,
  heartbeatsPerSecond,
  meanBilledMs,
  monthlyUsd,
  shardCeiling,
  shardsNeeded,
  webBilledSecondsPerSecond,
  webCostPerMillion,
  type ScfPrices,
} from '../../bench/lib/cost-model';
import { PRICES, SECONDS_PER_MONTH } from '../../bench/lib/prices';
import { computeCosts, costRows, costsBlock, COSTS_END, COSTS_FILE, COSTS_START, writeCostsBlock, type CostsResult } from '../../bench/sections/costs';
import { ROOT } from '../../scripts/build';

// The published SCF prices: 0.0000167 USD per GB-second, 0.002 USD per 10,000 invocations, 1 ms granularity.
const P: ScfPrices = { gbSecondUsd: 0.0000167, invocationUsd: 0.0000002, granularityMs: 1 };

describe('SCF cost per million heartbeats', () => {
  it('bills each call rounded up to the granularity, never below one step', () => {
    expect(billedMs(0.3, 1)).toBe(1);
    expect(billedMs(1, 1)).toBe(1);
    expect(billedMs(1.01, 1)).toBe(2);
    expect(billedMs(37, 100)).toBe(100); // the old 100 ms rounding
    // 0.3, 1.2, 2.0 -> 1 + 2 + 2 = 5 ms over 3 calls.
    expect(meanBilledMs([0.3, 1.2, 2.0], 1)).toBeCloseTo(5 / 3, 12);
  });

  it('128 MB at 3 ms: 0.20 USD of invocations + 0.0062625 USD of GB-seconds', () => {
    // 10^6 x 0.0000002 = 0.2; 10^6 x 0.125 GB x 0.003 s = 375 GBs; 375 x 0.0000167 = 0.0062625.
    const c = eventCostPerMillion(128, 3, P);
    expect(c.invocations).toBeCloseTo(0.2, 12);
    expect(c.compute).toBeCloseTo(0.0062625, 12);
    expect(c.total).toBeCloseTo(0.2062625, 12);
    // 0.0062625 / 0.2062625 = 0.030362...
    expect(c.computeShare).toBeCloseTo(0.0303618, 6);
  });

  it('256 MB at 3 ms doubles only the GB-seconds: 0.2 + 0.012525', () => {
    expect(eventCostPerMillion(256, 3, P).total).toBeCloseTo(0.212525, 12);
  });

  it('the GB-seconds equal the invocation fee at 95.8 ms (128 MB) and 47.9 ms (256 MB)', () => {
    // 0.0000002 / (0.125 x 0.0000167) = 0.0958084 s; half that at 0.25 GB.
    expect(breakEvenMs(128, P)).toBeCloseTo(95.8084, 3);
    expect(breakEvenMs(256, P)).toBeCloseTo(47.9042, 3);
    expect(eventCostPerMillion(128, breakEvenMs(128, P), P).compute).toBeCloseTo(0.2, 12);
  });
});

describe('a 10,000-pusher app and Redis shards', () => {
  it('10,000 pushers every 7 s: 1,428.571 heartbeats/s, 3,702.857 M a 30-day month, 763.76 USD at 128 MB and 3 ms', () => {
    const rate = heartbeatsPerSecond(10_000, 7);
    expect(rate).toBeCloseTo(1428.5714, 4);
    expect(SECONDS_PER_MONTH).toBe(2_592_000);
    // 1,428.5714 x 2,592,000 / 10^6 = 3,702.857 M; x 0.2062625 = 763.760 USD.
    expect(monthlyUsd(rate, 0.2062625, SECONDS_PER_MONTH)).toBeCloseTo(763.76, 2);
  });

  it('a shard at 20 us per heartbeat carries 50,000/s on one core, under the published 80,000', () => {
    expect(shardCeiling(20, 1, 80_000)).toEqual({ byCpu: 50_000, published: 80_000, ceiling: 50_000 });
    // 5 us: 200,000/s by CPU, so the published QPS is the ceiling.
    expect(shardCeiling(5, 1, 80_000).ceiling).toBe(80_000);
  });

  it('shards: at least one; 120,000/s over 50,000 per shard is 3, or 5 at half load', () => {
    expect(shardsNeeded(1428.57, 50_000)).toBe(1);
    expect(shardsNeeded(120_000, 50_000)).toBe(3);
    expect(shardsNeeded(120_000, 50_000, 0.5)).toBe(5);
    expect(shardsNeeded(100_000, 50_000)).toBe(2); // exactly full: no extra shard
  });
});

describe('Web Function with per-instance concurrency', () => {
  it('one instance at 1,428.571 req/s of 3 ms is busy 1 - e^-4.2857 = 98.62% of the time', () => {
    // r x d = 1428.571 x 0.003 = 4.285714; e^-4.285714 = e^-4 x e^-0.285714 = 0.0183156 x 0.7514773 = 0.0137638.
    expect(webBilledSecondsPerSecond(10_000 / 7, 0.003, 1)).toBeCloseTo(0.9862362, 6);
    // Many instances, each seeing few requests: billed time tends to r x d (no overlap to share).
    // 10,000 x (1 - e^-0.00042857) = 4.28480: just under r x d = 4.285714, never over.
    expect(webBilledSecondsPerSecond(10_000 / 7, 0.003, 10_000)).toBeCloseTo(4.2848, 4);
    expect(webBilledSecondsPerSecond(10_000 / 7, 0.003, 10_000)).toBeLessThan(4.285714);
  });

  it('bills 0.2014411 USD per million at 128 MB against 0.2062625 for the event function: 2.34% less', () => {
    // Per request 0.9862362 / 1428.571 = 0.00069037 s; 10^6 x 0.125 x 0.00069037 x 0.0000167 = 0.0014411.
    const web = webCostPerMillion(128, 10_000 / 7, 3, 1, P);
    expect(web.invocations).toBeCloseTo(0.2, 12);
    expect(web.compute).toBeCloseTo(0.0014411, 6);
    const event = eventCostPerMillion(128, 3, P);
    expect((event.total - web.total) / event.total).toBeCloseTo(0.023375, 4);
  });
});

describe('the bench costs section', () => {
  // 1,000 calls of 0.4 ms (billed 1 ms each) and Redis CPU of 20 / 25 us per heartbeat.
  const durations = Array.from({ length: 1000 }, () => 0.4);
  const computed = computeCosts(durations, { double_room: 25, multi_room: 20 }, P);
  const result: CostsResult = { ...computed, direct: { meanMs: 0.3, p50Ms: 0.25, p99Ms: 0.9 }, evalshaUs: { double_room: 15, multi_room: 12 }, redisNote: 'test' };

  it('computes every figure from the two measured inputs', () => {
    expect(result.duration.billedMeanMs).toBe(1);
    // 128 MB at 1 ms: 0.2 + 10^6 x 0.125 x 0.001 x 0.0000167 = 0.2 + 0.0020875.
    expect(result.perMillion[128].total).toBeCloseTo(0.2020875, 12);
    // The worst room type (25 us): 40,000/s per shard, 280,000 pushers at 7 s.
    expect(result.redisCpuUsUsed).toBe(25);
    expect(result.shard?.ceiling).toBe(40_000);
    expect(result.shard?.pushers).toBe(280_000);
    expect(result.app.shards).toBe(1);
    expect(result.app.scfUsdPerMonth[128]).toBeCloseTo(3702.857142857 * 0.2020875, 6);
    expect(result.web.saving).toBeGreaterThan(0);
    expect(result.web.saving).toBeLessThan(result.web.maxSaving);
  });

  it('prints a row for each of the measured inputs and (a)-(d), with the computed numbers', () => {
    const rows = costRows(result);
    expect(rows.map((r) => r.figure.trim().slice(0, 3))).toEqual(['hea', 'Red', '(a)', 'bil', '(b)', '(c)', '(d)']);
    const text = rows.map((r) => r.measured).join('\n');
    expect(text).toContain("billed 1.00 ms each (rounded up to 1 ms; 1000 calls); pusher_heartbeat's own entry point: mean 0.30 ms, p50 0.25, p99 0.90");
    expect(text).toContain('128 MB $0.2021 (invocations $0.2000 + GB-s $0.0021)');
    expect(text).toContain('40,000/s (1 core at 25 us: 40,000/s');
    expect(text).toContain('280,000 pushers at 7 s');
    expect(text).toContain('1428.6 heartbeats/s');
    // 3,702.857 M x 0.2020875 = 740.571 + 7.730 = 748.30.
    expect(text).toContain('$748.30/month at 128 MB');
    expect(rows.every((r) => r.verdict === 'report')).toBe(true);
  });

  it('says so when there is no Redis CPU figure, instead of inventing one', () => {
    const without: CostsResult = { ...computeCosts(durations, undefined, P), redisNote: 'redis-server not installed' };
    const rows = costRows(without);
    expect(rows[1]!.measured).toBe('redis-server not installed');
    expect(rows.find((r) => r.figure.startsWith('(b)'))!.measured).toContain('not computed');
  });

  it('writes its block between the markers of docs/costs.md and leaves the rest alone', () => {
    const root = mkdtempSync(join(tmpdir(), 'roomservice-costs-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, COSTS_FILE), `before\n${COSTS_START}\nold\n${COSTS_END}\nafter\n`);
    try {
      const block = costsBlock(result, { date: '2026-12-07', node: 'v20', cpus: 2, load: 1 });
      expect(writeCostsBlock(block, root)).toBe(true);
      const text = readFileSync(join(root, COSTS_FILE), 'utf8');
      expect(text).toBe(`before\n${COSTS_START}\n${block}\n${COSTS_END}\nafter\n`);
      // 100 ms: 0.2 + 10^6 x 0.125 x 0.1 x 0.0000167 = 0.40875 (printed 0.4087: the double is just under) and 0.2 + 0.4175 = 0.6175.
      expect(block).toContain('| 100 | $0.4087 | $0.6175 |');
      writeFileSync(join(root, COSTS_FILE), 'no markers\n');
      expect(writeCostsBlock(block, root)).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('docs/costs.md', () => {
  const page = readFileSync(join(ROOT, COSTS_FILE), 'utf8');

  it('cites the page of every published price the bench uses, and names every one not found', () => {
    for (const [name, price] of Object.entries(PRICES)) {
      expect(page, `${name}: ${price.source}`).toContain(price.source);
      if (price.value === null) expect(page, name).toContain(`\`${name}\``);
    }
  });

  it('holds the markers the bench writes between', () => {
    expect(page.indexOf(COSTS_START)).toBeGreaterThan(-1);
    expect(page.indexOf(COSTS_END)).toBeGreaterThan(page.indexOf(COSTS_START));
  });
});
