/**
 * No import circles in shared/: a module that imports (even only a type from)
 * a module importing it back can't be read, tested or bundled on its own, and
 * a value circle leaves one side `undefined` at load time depending on which
 * file a bundle enters by. Type-only imports count too: they are how circles
 * start (runtime.ts <-> events/webhooks.ts <-> events/log.ts did).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SHARED = path.resolve(__dirname, '../../shared');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** Each module's relative imports (type-only and re-exports included), as files. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => {
        const base = path.resolve(path.dirname(file), spec);
        return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => existsSync(f));
      })
      .filter((f): f is string => f !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** Every circle found by a depth-first walk, each as the path that closes it. */
export function importCircles(graph: Map<string, string[]>): string[][] {
  const circles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (file: string) => {
    const at = stack.indexOf(file);
    if (at >= 0) {
      circles.push([...stack.slice(at), file]);
      return;
    }
    if (done.has(file)) return;
    stack.push(file);
    for (const next of graph.get(file) ?? []) visit(next);
    stack.pop();
    done.add(file);
  };
  for (const file of graph.keys()) visit(file);
  return circles;
}

describe('import circles in shared/', () => {
  it('the walk finds a circle, type-only imports included (so the check below can fail)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCircles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
    const { importedFiles } = ts.preProcessFile("import type { Runtime } from '../runtime';\nexport { x } from './x';", true, true);
    expect(importedFiles.map((i) => i.fileName)).toEqual(['../runtime', './x']);
  });

  it('there are none', () => {
    const circles = importCircles(importGraph(sources(SHARED))).map((circle) => circle.map((f) => path.relative(SHARED, f)).join(' -> '));
    expect(circles).toEqual([]);
  });
});
