/**
 * The usual fixture of a test file: one harness for the file (default
 * settings), and before each test its settings, keys and fake cloud reset.
 * Its own module because it registers vitest hooks: harness.ts is also
 * loaded outside vitest (the bench, bench/lib/bed.ts), where importing
 * vitest throws.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startHarness, type Harness } from './harness';

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
