/**
 * The ops dashboard is served from shared/admin/page.ts, generated from
 * shared/admin/dashboard.{html,css,js} by `npm run admin:page`: a stale module
 * would serve an old page, and a CSP hash that does not match its inline
 * script would leave the page dead in every browser. The page's behaviour is
 * tested in a real browser (tests/browser/dashboard.test.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '../../scripts/admin-page';
import { DASHBOARD_CSP, DASHBOARD_HEADERS, DASHBOARD_HTML } from '../../shared/admin/page';

const hashOf = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe('dashboard page', () => {
  it('shared/admin/page.ts matches its sources (run npm run admin:page after editing dashboard.html/css/js)', () => {
    const { file, text } = generate();
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('its CSP admits exactly its one inline script and one inline style, and nothing else inline or remote', () => {
    const scripts = [...DASHBOARD_HTML.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    const styles = [...DASHBOARD_HTML.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect([scripts.length, styles.length]).toEqual([1, 1]);
    const directives = Object.fromEntries(DASHBOARD_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toMatchObject({
      'default-src': "'none'",
      'script-src': hashOf(scripts[0]!),
      'style-src': hashOf(styles[0]!),
      'connect-src': "'self'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|https?:|\*/);
    // Inline handlers and style attributes would need 'unsafe-inline'.
    expect(DASHBOARD_HTML).not.toMatch(/\son\w+=|\sstyle=/i);
    expect(DASHBOARD_HEADERS['Content-Security-Policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_HEADERS['Content-Type']).toBe('text/html; charset=utf-8');
  });

  it('its script never turns data into markup and keeps the key out of localStorage and URLs', () => {
    // The served script (minified, so the source's comments naming these do not count).
    const js = /<script>([\s\S]*?)<\/script>/.exec(DASHBOARD_HTML)![1]!;
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    expect(js).not.toMatch(/localStorage/);
    expect(js).toMatch(/sessionStorage\.setItem/);
    // The key travels in the Authorization header only, never as a query parameter.
    expect(js).not.toMatch(/searchParams\.set\([^)]*key/i);
  });
});
