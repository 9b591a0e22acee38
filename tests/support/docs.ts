/**
 * Reading the documentation as a test sees it: which pages there are, the
 * links in a page, the anchors GitHub makes for its headings, the `npm run`
 * scripts it names, and the blocks marked to be run by a test. No vitest here:
 * tests and scripts may both import it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** README.md and every page under docs/, as paths from the repository root. */
export const DOC_FILES: readonly string[] = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/** The page's lines, each with whether it sits inside a ``` fence. */
function linesWithFences(text: string): { line: string; number: number; fenced: boolean }[] {
  let fenced = false;
  return text.split('\n').map((line, i) => {
    const fence = /^\s*```/.test(line);
    const entry = { line, number: i + 1, fenced: fenced || fence };
    if (fence) fenced = !fenced;
    return entry;
  });
}

/** Relative link targets (`[text](target)`, images too) outside code; web and mail links left out. */
export function markdownLinks(text: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  for (const { line, number, fenced } of linesWithFences(text)) {
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ target, line: number });
    }
  }
  return links;
}

/** The anchors of a page's headings as GitHub makes them (plus explicit `<a id>`/`<a name>`). */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line, fenced } of linesWithFences(text)) {
    for (const explicit of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(explicit[1]!);
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The scripts a page tells a person to run as `npm run <name>`, in order, each once. */
export function documentedScripts(text: string): string[] {
  return [...new Set([...text.matchAll(/npm run (?:-[a-z-]+ +)*([A-Za-z0-9][A-Za-z0-9:_-]*)/g)].map((m) => m[1]!))];
}

/** The fenced block (```bash, ```js, ...) right after a `<!-- <marker> ... -->` comment in a page. */
export function markedBlock(file: string, marker: string, language = 'bash'): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const match = new RegExp(`<!-- ${marker}[:\\s][^>]*-->\\s*\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!match) throw new Error(`${file} has no ${marker} block`);
  return match[1]!;
}
