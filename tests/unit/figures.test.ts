/**
 * One set of bundle and cold-start figures: docs/performance.md and docs/deploy.md quote
 * the same block, which `npm run bench` writes between markers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIGURES_END, FIGURES_START, FIGURE_FILES, figuresBlock, readFigures, writeFigures } from '../../bench/sections/figures';
import { ROOT } from '../../scripts/build';

describe('bench figures in the docs', () => {
  it('docs/performance.md and docs/deploy.md hold the same generated block', () => {
    const blocks = FIGURE_FILES.map((file) => readFigures(readFileSync(join(ROOT, file), 'utf8')));
    expect(blocks[0], 'docs/performance.md markers').toBeDefined();
    expect(blocks[0]!.length).toBeGreaterThan(0);
    expect(new Set(blocks).size).toBe(1);
  });

  it('the bench replaces the block in both files and leaves the rest alone', () => {
    // Prepare
    const root = mkdtempSync(join(tmpdir(), 'roomservice-figures-'));
    mkdirSync(join(root, 'docs'));
    for (const file of FIGURE_FILES) writeFileSync(join(root, file), `before\n${FIGURES_START}\nold numbers\n${FIGURES_END}\nafter\n`);
    const block = figuresBlock(
      [
        { name: 'sweeper', bytes: 520 * 1024, requireMs: 60, firstCallMs: 10, coldStartMs: 70 },
        { name: 'router', bytes: 560 * 1024, requireMs: 70, firstCallMs: 12.25, coldStartMs: 82.25, coldStartCpuMs: 75, cacheBytes: 600 * 1024 },
      ],
      { node: 'v20.20.2', cpus: 2, load: 1.5, note: 'coldstart.ts --json --local', date: '2026-11-29' },
    );

    try {
      // Act
      const missing = writeFigures(block, root);

      // Assess
      expect(missing).toEqual([]);
      for (const file of FIGURE_FILES) {
        const text = readFileSync(join(root, file), 'utf8');
        expect(text.startsWith('before\n')).toBe(true);
        expect(text.endsWith(`${FIGURES_END}\nafter\n`)).toBe(true);
        expect(text).not.toContain('old numbers');
        expect(readFigures(text)).toBe(block);
      }
      expect(block).toContain('2 bundles of 520.0-560.0 KiB (router 560.0 KiB); cold starts 70.0-82.3 ms (router 82.3 ms)');
      expect(block).toContain('| `router` | 560.0 | 70.0 | 12.3 | 82.3 | 75.0 | 600.0 |');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
