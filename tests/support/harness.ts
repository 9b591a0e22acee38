/**
 * Test harness (tests/support/bed-core.ts) plus the per-file vitest fixture.
 * Tests import this; code run outside vitest (bench, coldstart) imports bed-core.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startHarness, type Harness } from './bed-core';

export * from './bed-core';

/**
 * The usual fixture of a test file: one harness for the file (default
 * settings), and before each test its settings, keys and fake cloud reset.
 */
export function harnessPerFile(use: (h: Harness) => void): void {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness();
    use(h);
  });
  afterAll(async () => h?.close());
  beforeEach(async () => {
    await h!.reconfigure({});
    await h!.clean();
    h!.fake.reset();
  });
}
