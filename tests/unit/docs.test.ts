/**
 * The documentation holds together: every relative link and #anchor in
 * README.md and docs/*.md leads somewhere, and every `npm run X` the docs tell
 * a person to type is a script package.json has and is run by CI (.ci/run,
 * .ci/commands) or named here with the reason it is not.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/build';
import { DOC_FILES, documentedScripts, headingAnchors, markdownLinks } from '../support/docs';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('links in README.md and docs/', () => {
  it('finds the pages: README.md and every docs/*.md', () => {
    expect(DOC_FILES).toContain('README.md');
    expect(DOC_FILES).toEqual(expect.arrayContaining(readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)));
  });

  it('every relative link names a file that exists, and every #anchor a heading of that page', () => {
    const broken: string[] = [];
    for (const file of DOC_FILES) {
      for (const { target, line } of markdownLinks(read(file))) {
        const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
        const full = pathPart === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(pathPart));
        const where = `${file}:${line} -> ${target}`;
        if (!existsSync(full)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor !== undefined && full.endsWith('.md') && !headingAnchors(readFileSync(full, 'utf8')).has(anchor)) {
          broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, full)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the checker does see a broken link and a broken anchor (so the check above can fail)', () => {
    const links = markdownLinks('See [a](nowhere.md) and [b](#missing), not `[c](in-code.md)`.\n```\n[d](in-fence.md)\n```\n');
    expect(links.map((l) => l.target)).toEqual(['nowhere.md', '#missing']);
    expect(headingAnchors(read('README.md')).has('missing')).toBe(false);
  });

  it('anchors are made as GitHub makes them', () => {
    const anchors = headingAnchors('# TRTC rooms (`webrtc_room`)\n## The functions\' own credentials: an execution role\n## Update\n## Update\n```\n# not a heading\n```\n');
    expect([...anchors]).toEqual(['trtc-rooms-webrtc_room', 'the-functions-own-credentials-an-execution-role', 'update', 'update-1']);
  });
});

describe('npm scripts the docs name', () => {
  it('every `npm run X` in README.md and docs/ is a script of package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = new Map<string, string>();
    for (const file of DOC_FILES) for (const name of documentedScripts(read(file))) named.set(name, file);
    expect(named.size).toBeGreaterThan(5);
    const missing = [...named].filter(([name]) => !scripts.includes(name)).map(([name, file]) => `${file}: npm run ${name}`);
    expect(missing).toEqual([]);
  });

  it('every `npm run X` in README.md and docs/ is run by CI (.ci/run, .ci/commands) in some form, or says here why not', () => {
    const ci = `${read('.ci/run')}\n${read('.ci/commands')}`;
    const inCi = (name: string) => new RegExp(`npm run (-s )?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm').test(ci);
    const notInCi: Record<string, string> = {
      'test:load': 'the 60 s form of test:load:short: the same program (tests/load/load.ts) with larger LOAD_* sizes',
      'build:server': 'the first half of `npm run serve`, which CI runs (.ci/commands)',
    };
    const named = new Set(DOC_FILES.flatMap((file) => documentedScripts(read(file))));
    expect([...named].filter((name) => !inCi(name) && !(name in notInCi))).toEqual([]);
    // An exception for a script CI does run, or one no page names any more, is stale.
    expect(Object.keys(notInCi).filter((name) => inCi(name) || !named.has(name))).toEqual([]);
  });

  it('the scan reads commands in prose and in code blocks (so the check above can fail)', () => {
    expect(documentedScripts('run `npm run bench -- --quick`, then\n```bash\nnpm run no-such-script\nnpm test\n```\nand `npm run test:load:short`.')).toEqual(['bench', 'no-such-script', 'test:load:short']);
  });
});
