/**
 * The bench's costs section (bench/sections/costs.ts) on the real Redis, in
 * short: it times heartbeats through the router and the pusher_heartbeat
 * entry point, measures Redis CPU per heartbeat on a private redis-server,
 * and prints its rows with the measured numbers in them. The arithmetic
 * itself is checked in tests/unit/cost-model.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Bed, closeAdmin, closeFakeCloud } from '../../bench/lib/bed';
import { deleteByPrefix } from '../support/harness';
import { costRows, runCosts } from '../../bench/sections/costs';
import { installRuntime } from '../../shared/runtime';

const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

describe('bench costs section', () => {
  const beds: Bed[] = [];

  afterAll(async () => {
    installRuntime(undefined);
    // Through the bed's own client, on every master (a cluster in npm run test:cluster).
    for (const bed of beds) {
      await deleteByPrefix(bed.rt, bed.prefix);
      await bed.close();
    }
    await closeAdmin();
    await closeFakeCloud();
  });

  it('measures both inputs in the run and prints every row with them', async () => {
    const bed = await Bed.open('cost-test');
    beds.push(bed);

    const result = await runCosts(bed, { calls: 50, cpuCalls: 250 });

    expect(result.duration.calls).toBe(50);
    expect(result.duration.meanMs).toBeGreaterThan(0);
    expect(result.duration.billedMeanMs).toBeGreaterThanOrEqual(1);
    expect(result.direct?.meanMs).toBeGreaterThan(0);
    if (hasRedisServer) {
      expect(Object.keys(result.redisCpuUs ?? {}).sort()).toEqual(['double_room', 'live_room', 'multi_room', 'webrtc_room']);
      expect(result.redisCpuUsUsed).toBeGreaterThan(0);
      expect(result.shard?.ceiling).toBeGreaterThan(0);
    }
    const rows = costRows(result);
    expect(rows).toHaveLength(7);
    expect(rows[0]!.measured).toContain(`${result.duration.meanMs.toFixed(2)} ms`);
    expect(rows.find((r) => r.figure.startsWith('(a)'))!.measured).toMatch(/^128 MB \$0\.2\d{3} .*; 256 MB \$0\.2\d{3} /);
    expect(rows.find((r) => r.figure.startsWith('(c)'))!.measured).toContain('1428.6 heartbeats/s');
  }, 120_000);
});
