/**
 * The one set of bundle and cold-start figures the docs quote: the bench
 * writes it, as a generated block between markers, into docs/performance.md
 * and docs/deploy.md, so the two can never disagree and nobody copies numbers by
 * hand. tests/unit/figures.test.ts checks that both files hold the same block.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BundleRow } from './bundles';

const ROOT = path.join(__dirname, '..', '..');
export const FIGURE_FILES = ['docs/performance.md', 'docs/deploy.md'] as const;
export const FIGURES_START = '<!-- figures:bundles (written by `npm run bench`; do not edit by hand) -->';
export const FIGURES_END = '<!-- /figures:bundles -->';

const kib = (bytes: number | undefined) => (bytes === undefined ? '?' : (bytes / 1024).toFixed(1));
const ms = (value: number | undefined) => (value === undefined ? '?' : value.toFixed(1));

/** The markdown between the markers. */
export function figuresBlock(rows: BundleRow[], how: { node: string; cpus: number; load: number; note: string; date: string }): string {
  const sorted = [...rows].sort((a, b) => a.name.localeCompare(b.name));
  const cold = sorted.filter((r) => r.coldStartMs !== undefined).map((r) => r.coldStartMs!);
  const sizes = sorted.filter((r) => r.bytes !== undefined).map((r) => r.bytes!);
  const router = sorted.find((r) => r.name === 'router');
  const lines = [
    `Bundles and cold starts, last \`npm run bench\` (${how.date}, Node ${how.node}, ${how.cpus} CPUs, 1-minute load average ${how.load.toFixed(1)} at the end, other jobs included; cold start = \`require\` of the bundle + first invocation in a fresh process, median, via ${how.note}).`,
    `Summary: ${sorted.length} bundles of ${kib(Math.min(...sizes))}-${kib(Math.max(...sizes))} KiB (router ${kib(router?.bytes)} KiB); cold starts ${ms(Math.min(...cold))}-${ms(Math.max(...cold))} ms (router ${ms(router?.coldStartMs)} ms).`,
    '',
    // CPU ms: what other jobs on a shared machine move least; cache KiB: the bundle's V8 code cache (scripts/code-cache.ts).
    '| function | KiB | require ms | first call ms | cold start ms | cold start CPU ms | cache KiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...sorted.map((r) => `| \`${r.name}\` | ${kib(r.bytes)} | ${ms(r.requireMs)} | ${ms(r.firstCallMs)} | ${ms(r.coldStartMs)} | ${ms(r.coldStartCpuMs)} | ${kib(r.cacheBytes)} |`),
  ];
  return lines.join('\n');
}

/** The block currently in a file (undefined without both markers). */
export function readFigures(text: string): string | undefined {
  const start = text.indexOf(FIGURES_START);
  const end = text.indexOf(FIGURES_END);
  if (start === -1 || end === -1 || end < start) return undefined;
  return text.slice(start + FIGURES_START.length, end).trim();
}

/** Replaces the block in every figure file; answers the files it could not update (markers missing). */
export function writeFigures(block: string, root = ROOT): string[] {
  const missing: string[] = [];
  for (const file of FIGURE_FILES) {
    const full = path.join(root, file);
    const text = readFileSync(full, 'utf8');
    if (readFigures(text) === undefined) {
      missing.push(file);
      continue;
    }
    const start = text.indexOf(FIGURES_START) + FIGURES_START.length;
    writeFileSync(full, `${text.slice(0, start)}\n${block}\n${text.slice(text.indexOf(FIGURES_END))}`);
  }
  return missing;
}
