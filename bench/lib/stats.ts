/** Small statistics helpers for the benchmarks (all times in milliseconds). */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const round = (value: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/**
 * Runs `callers` concurrent loops of `once` for `warmMs`, then counts completed
 * calls over `measureMs`; answers calls per second. `once` returns false for a
 * wrong answer, which is counted separately (the run still finishes).
 */
export async function closedLoop(
  callers: number,
  once: (caller: number) => Promise<boolean>,
  warmMs: number,
  measureMs: number,
): Promise<{ perSecond: number; completed: number; failed: number }> {
  let stop = false;
  let measuring = false;
  let completed = 0;
  let failed = 0;
  const loops = Array.from({ length: callers }, async (_, caller) => {
    while (!stop) {
      const ok = await once(caller);
      if (measuring) {
        completed++;
        if (!ok) failed++;
      }
    }
  });
  await sleep(warmMs);
  measuring = true;
  const started = performance.now();
  await sleep(measureMs);
  measuring = false;
  const elapsed = performance.now() - started;
  stop = true;
  await Promise.all(loops);
  return { perSecond: (completed * 1000) / elapsed, completed, failed };
}
