/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`; several files, e.g.
 * main thread + tsx's loader thread, are added up): self time per function
 * and per file, top entries first. Usage:
 *   npx tsx bench/profile-summary.ts <file.cpuprofile>... [--top=25] [--filter=text] [--callers=functionName]
 * --callers prints who calls a function (self time by caller chain, 4 deep).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('--'));
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
const filter = args.find((a) => a.startsWith('--filter='))?.slice(9);
const callersOf = args.find((a) => a.startsWith('--callers='))?.slice(10);
if (files.length === 0) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile>... [--top=25] [--filter=text]\n');
  process.exit(2);
}
const byId = new Map<string, ProfileNode>();
const parentOf = new Map<string, string>();
const selfUs = new Map<string, number>();
files.forEach((file, f) => {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  for (const n of profile.nodes) {
    byId.set(`${f}:${n.id}`, n);
    for (const child of n.children ?? []) parentOf.set(`${f}:${child}`, `${f}:${n.id}`);
  }
  for (let i = 0; i < profile.samples.length; i++) {
    const id = `${f}:${profile.samples[i]!}`;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shortUrl = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'nm:').replace(/^.*\/work\/main\//, '');
const fnKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const fileKey = (n: ProfileNode) => {
  const url = shortUrl(n.callFrame.url);
  if (!url) return n.callFrame.functionName || '(native)';
  const nm = /^nm:((?:@[^/]+\/)?[^/]+)/.exec(url);
  return nm ? `nm:${nm[1]}` : url;
};

function table(title: string, key: (n: ProfileNode) => string): void {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const k = key(node);
    if (filter && !k.includes(filter)) continue;
    sums.set(k, (sums.get(k) ?? 0) + us);
  }
  process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)\n`);
  for (const [k, us] of [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
  }
}

table('Self time by package / file', fileKey);
table('Self time by function', fnKey);

if (callersOf) {
  const chains = new Map<string, number>();
  for (const [id, us] of selfUs) {
    // Self time of the function itself and of everything it calls.
    let at: string | undefined = id;
    while (at && byId.get(at)!.callFrame.functionName !== callersOf) at = parentOf.get(at);
    if (!at) continue;
    const chain: string[] = [];
    for (let up = parentOf.get(at), depth = 0; up && depth < 4; up = parentOf.get(up), depth++) chain.push(fnKey(byId.get(up)!));
    const k = chain.join('  <-  ');
    chains.set(k, (chains.get(k) ?? 0) + us);
  }
  process.stdout.write(`\nCallers of ${callersOf} (inclusive time)\n`);
  for (const [k, us] of [...chains.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
  }
}
