/**
 * The ops dashboard end to end in a real headless Chromium (Debian's
 * `chromium`, driven by playwright-core; nothing is downloaded or installed
 * at run time: .ci/run installs the package). The local gateway serves the
 * page and the admin API on the real Redis; the room is made through the
 * public API, as a client would. The page must work under the CSP it is
 * served with, so any console error (a CSP violation is one) fails the test.
 *
 * DOCS_SCREENSHOT=1 (`npm run docs:screenshot`) also writes docs/dashboard.png.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../shared/log';
import { eventsLostKey, lastEventGapKey } from '../../shared/rooms/keys';
import { startGateway, type Gateway } from '../../scripts/gateway';
import type { FakeCloud } from '../support/fake-cloud';
import { deleteByPrefix, startTestCloud, testEnv } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ADMIN_KEY = `admin-${randomBytes(24).toString('hex')}`;
const SCREENSHOT = process.env.DOCS_SCREENSHOT === '1' ? path.resolve(__dirname, '../../docs/dashboard.png') : undefined;
// A loaded machine (two cores, several suites) can take seconds per refresh.
const UI_TIMEOUT = 15_000;

describe('ops dashboard in headless Chromium', () => {
  let fake: FakeCloud;
  let gw: Gateway;
  let browser: Browser;
  let page: Page;
  const prefix = `test-ui-${randomBytes(3).toString('hex')}`;
  const pageErrors: string[] = [];
  // The webhook receiver: answers 200, or 503 while `failing` (the dead-letter test).
  const receiver = { server: undefined as Server | undefined, failing: false, events: [] as { type: string; roomID: string }[] };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs Debian's chromium, install it with \`sudo apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
    }
    setLogSink(() => undefined);
    fake = await startTestCloud();
    receiver.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (!receiver.failing) receiver.events.push(...(JSON.parse(body) as { events: { type: string; roomID: string }[] }).events);
        res.writeHead(receiver.failing ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.server!.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
    // A long heartbeat timeout: no seat may lapse while the browser works on a slow machine.
    // One webhook attempt: a failed batch is parked as a dead letter at once.
    const env = testEnv(fake, prefix, {
      ADMIN_API_KEY: ADMIN_KEY,
      HEARTBEAT_TIMEOUT: '120',
      WEBHOOK_URL: hook,
      WEBHOOK_SECRET: randomBytes(16).toString('hex'),
      WEBHOOK_MAX_ATTEMPTS: '1',
    });
    gw = await startGateway({ env, port: 0, sweepIntervalMs: 0, quiet: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('console', (message) => {
      // Chromium logs every 4xx answer as a console error; 401 (the wrong key) and 404 (a room that
      // ended) are expected answers here. Anything else, a CSP violation above all, is a failure.
      if (message.type() === 'error' && !/Failed to load resource: .* status of (401|404)/.test(message.text())) pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (gw) {
      await deleteByPrefix(gw.runtime, prefix);
      await gw.close();
    }
    await fake?.close();
    receiver.server?.close();
  });

  /** Waits for a locator; on a timeout the failure quotes what the page's error banner said (e.g. a route answering 404). */
  async function until(locator: ReturnType<Page['locator']>, state: 'visible' | 'detached' | 'hidden' = 'visible') {
    try {
      await locator.waitFor({ state });
    } catch (error) {
      const banner = await page.getByTestId('error').textContent().catch(() => null);
      throw new Error(`${(error as Error).message.split('\n')[0]}; the page's error banner says: ${banner || '(nothing)'}`);
    }
  }

  async function post(path: string, query: Record<string, string>, body: unknown) {
    const response = await fetch(`${gw.url}${path}?${new URLSearchParams(query)}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const answer = (await response.json()) as Record<string, unknown> & { code: number };
    expect(answer.code, `${path}: ${JSON.stringify(answer)}`).toBe(0);
    return answer;
  }

  /** A signed-in user of the public API. */
  async function login(userID: string) {
    const info = (await (await fetch(`${gw.url}/weapp/utils/get_login_info?userID=${userID}`)).json()) as Record<string, unknown>;
    const answer = await post('/weapp/live_room/login', {}, { sdkAppID: info.sdkAppID, userID, userSig: info.userSig });
    const session = { userID, token: String(answer.token) };
    return {
      userID,
      call: (action: string, body: Record<string, unknown>) => post(`/weapp/live_room/${action}`, session, { userID, ...body }),
    };
  }

  it('shows a room made through the API, kicks a pusher, shows the pusher_left event with reason kicked, dismisses the room', async () => {
    // A live room with three pushers, an audience member and a counter, through the public API.
    const [host, bob, carol, viewer] = await Promise.all(['host', 'bob', 'carol', 'viewer'].map(login));
    const roomID = String((await host!.call('create_room', { roomID: 'friday-show', roomInfo: 'Friday show' })).roomID);
    for (const [who, name] of [[host!, 'Host'], [bob!, 'Bob'], [carol!, 'Carol']] as const) {
      const { pushURL } = await who.call('get_push_url', { roomID });
      await who.call('add_pusher', { roomID, userName: name, userAvatar: '', pushURL });
    }
    await viewer!.call('add_audience', { roomID, userInfo: '{"nick": "V"}' });
    await host!.call('set_custom_field', { roomID, fieldName: 'likes', operation: 'inc', value: 42 });

    // The page loads without the key and is served under a strict CSP.
    const response = await page.goto(`${gw.url}/admin/`);
    expect(response?.status()).toBe(200);
    const csp = (await response!.allHeaders())['content-security-policy'];
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline/);

    // A wrong key is refused and asked for again; the right one opens the dashboard.
    await page.getByLabel(/^Key/).fill('not-the-key');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await expect.poll(() => page.getByTestId('key-error').textContent(), { timeout: UI_TIMEOUT }).toMatch(/refused the key/);
    await page.getByLabel(/^Key/).fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();

    // The room is listed with its counts; its details show the three pushers.
    const row = page.locator(`[data-testid=room-row][data-room="live_room/${roomID}"]`);
    await until(row);
    expect(await row.locator('td').allTextContents()).toEqual(expect.arrayContaining(['live_room', roomID, 'Friday show', 'host', '3', '1']));
    await row.getByRole('button', { name: `Details of room ${roomID}` }).click();
    const pushers = page.getByTestId('pusher-row');
    await expect.poll(() => pushers.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')).sort()), { timeout: UI_TIMEOUT }).toEqual(['bob', 'carol', 'host']);
    expect(await page.getByTestId('custom').textContent()).toContain('42');
    expect(await page.getByTestId('fact-audience').textContent()).toBe('1');
    expect(await pushers.first().locator('td').nth(2).textContent()).toMatch(/^\d+(\.\d)? s ago$/);

    // Kick bob: a confirmation first (cancel keeps him), then he is gone.
    await page.getByRole('button', { name: 'Kick bob' }).click();
    await page.getByTestId('confirm-cancel').click();
    const afterCancel = await host!.call('get_pushers', { roomID });
    expect((afterCancel.pushers as { userID: string }[]).map((p) => p.userID).sort()).toEqual(['bob', 'carol', 'host']);
    await page.getByRole('button', { name: 'Kick bob' }).click();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain('Kick bob');
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => pushers.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')).sort()), { timeout: UI_TIMEOUT }).toEqual(['carol', 'host']);

    // The event log says why, and the public API agrees that bob has left.
    const kicked = page.locator('[data-testid=event-row][data-type=pusher_left][data-reason=kicked]');
    await until(kicked);
    expect(await kicked.locator('td').allTextContents()).toEqual(expect.arrayContaining(['pusher_left', `live_room/${roomID}`, 'bob', 'kicked']));
    const seen = await host!.call('get_pushers', { roomID });
    expect((seen.pushers as { userID: string }[]).map((p) => p.userID).sort()).toEqual(['carol', 'host']);

    // The key lives in this tab's session storage only, never in the URL or localStorage.
    // (A string: this project's TypeScript has no DOM types.)
    expect(await page.evaluate("[sessionStorage.getItem('roomservice.adminKey'), localStorage.length]")).toEqual([ADMIN_KEY, 0]);
    expect(page.url()).not.toContain(ADMIN_KEY);
    expect(pageErrors).toEqual([]);
    // Every panel loaded (rooms, room, events, dead letters): no route of the page's answered an error.
    expect(await page.getByTestId('error').textContent()).toBe('');

    if (SCREENSHOT) {
      await page.getByTestId('room-detail').scrollIntoViewIfNeeded();
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    // Dismiss the room from its details: it leaves the list, the log says room_finished (admin).
    await page.getByTestId('room-dismiss').click();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain(`Dismiss live_room/${roomID}`);
    await page.getByTestId('confirm-ok').click();
    await until(row, 'detached');
    await until(page.locator('[data-testid=event-row][data-type=room_finished][data-reason=admin]'));
    expect(await page.getByTestId('room-detail').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);
  it('reaches rooms named . and .. (dot segments to every URL parser): details, kick and dismiss', async () => {
    const [host, guest] = await Promise.all(['dots-host', 'dots-guest'].map(login));
    for (const roomID of ['..', '.']) {
      await host!.call('create_room', { roomID, roomInfo: `room ${roomID}` });
      for (const who of [host!, guest!]) {
        const { pushURL } = await who.call('get_push_url', { roomID });
        await who.call('add_pusher', { roomID, userName: who.userID, userAvatar: '', pushURL });
      }
    }
    for (const roomID of ['..', '.']) {
      const row = page.locator(`[data-testid=room-row][data-room="live_room/${roomID}"]`);
      await until(row);
      await row.getByRole('button', { name: `Details of room ${roomID}` }).click();
      const pushers = page.getByTestId('pusher-row');
      await expect.poll(() => pushers.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user')).sort()), { timeout: UI_TIMEOUT }).toEqual(['dots-guest', 'dots-host']);
      await page.getByRole('button', { name: 'Kick dots-guest' }).click();
      await page.getByTestId('confirm-ok').click();
      await expect.poll(() => pushers.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-user'))), { timeout: UI_TIMEOUT }).toEqual(['dots-host']);
      const seen = await host!.call('get_pushers', { roomID });
      expect((seen.pushers as { userID: string }[]).map((p) => p.userID)).toEqual(['dots-host']);
      await page.getByTestId('room-dismiss').click();
      await page.getByTestId('confirm-ok').click();
      await until(row, 'detached');
    }
    expect(pageErrors).toEqual([]);
    expect(await page.getByTestId('error').textContent()).toBe('');
  }, 60_000);

  it('shows the events the log\'s hard bound forced out (GET /admin/webhooks eventsLost) in the webhook panel', async () => {
    // What the append script records when EVENT_LOG_HARD_MAX_LEN forces events out (helpers/events.lua forceOut;
    // tests/integration/security-round3.test.ts makes a real one): the total and the last loss.
    const gap = { id: '1796600000000-42', count: 40, firstId: '1796599990000-2', lastId: '1796599999000-41', time: 1796600000000 };
    await gw.runtime.redis.set(eventsLostKey(prefix), '40');
    await gw.runtime.redis.set(lastEventGapKey(prefix), JSON.stringify(gap));
    const lost = page.getByTestId('events-lost');
    await until(lost);
    expect(await lost.textContent()).toMatch(/Events lost .*: 40 in all; the last loss 2026-.*: 40 events, 1796599990000-2 to 1796599999000-41\./);
    await gw.runtime.redis.del(eventsLostKey(prefix), lastEventGapKey(prefix));
    await until(lost, 'hidden');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows a webhook batch the receiver refused as a dead letter, and re-drives it once the receiver is back', async () => {
    receiver.failing = true;
    const host = await login('host2');
    // Its roomInfo is markup: the page must show it as text (no element made, no handler run).
    const markup = '<img src=x onerror="document.title=\'pwned\'"><b>Late show</b>';
    const roomID = String((await host.call('create_room', { roomID: 'late-show', roomInfo: markup })).roomID);
    const { pushURL } = await host.call('get_push_url', { roomID });
    await host.call('add_pusher', { roomID, userName: '<script>alert(1)</script>', userAvatar: '', pushURL });
    const row = page.locator(`[data-testid=room-row][data-room="live_room/${roomID}"]`);
    await until(row);
    expect(await row.locator('td').nth(2).textContent()).toBe(markup);
    expect(await page.locator('main img, main b, main script').count()).toBe(0);
    expect(await page.title()).toBe('RoomService ops');
    const rows = page.getByTestId('dead-row');
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBeGreaterThan(0);
    expect(await rows.first().locator('td').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/hook$/), '1', expect.stringMatching(/503/)]));

    // The receiver's delivery state is shown too (its URL as shown: origin and path).
    await until(page.locator('[data-testid=receiver-row]', { hasText: /^http:\/\/127\.0\.0\.1:\d+\/hook/ }));

    receiver.failing = false;
    await page.getByTestId('redrive-all').click();
    await page.getByTestId('confirm-ok').click();
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(0);
    expect(await page.getByTestId('status').textContent()).toMatch(/Re-drive all: [1-9]\d* delivered, 0 failed again/);
    expect(receiver.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'room_created', roomID })]));
    expect(pageErrors).toEqual([]);

    // Forget key: the session forgets it and the page asks again.
    await page.getByTestId('forget-key').click();
    await until(page.getByTestId('key-input'));
    expect(await page.evaluate("sessionStorage.getItem('roomservice.adminKey')")).toBeNull();
  }, 60_000);

  /** An admin API answer, fetched by the test itself. */
  async function adminApi(path: string): Promise<Response> {
    return fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  }

  /** What a chart draws: uPlot's data, [x (s), ...series]. */
  const drawn = (id: string) => page.evaluate(`document.getElementById(${JSON.stringify(id)}).uplot?.data ?? null`) as Promise<(number | null)[][] | null>;

  it('charts the metrics: the requests and errors drawn add up to the Prometheus counters, every series equals /admin/metrics/series', async () => {
    // Known traffic: a room, heartbeats, and one request the service refuses.
    const host = await login('charted');
    const roomID = String((await host.call('create_room', { roomID: 'charted-room', roomInfo: 'charts' })).roomID);
    const { pushURL } = await host.call('get_push_url', { roomID });
    await host.call('add_pusher', { roomID, userName: 'C', userAvatar: '', pushURL });
    for (let i = 0; i < 3; i++) await host.call('pusher_heartbeat', { roomID });
    const refused = await fetch(`${gw.url}/weapp/live_room/get_pushers?userID=charted`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(400);

    await page.goto(`${gw.url}/admin/`);
    if (await page.getByTestId('key-input').isVisible()) {
      await page.getByLabel(/^Key/).fill(ADMIN_KEY);
      await page.getByRole('button', { name: 'Open dashboard' }).click();
    }
    await page.getByTestId('refresh').click();
    await expect.poll(async () => (await drawn('chart-requests'))?.[0]?.length ?? 0, { timeout: UI_TIMEOUT }).toBe(60);

    // The same figures from the API, read once the page drew its own (no traffic in between).
    const series = (await (await adminApi('/admin/metrics/series?range=1h')).json()) as Record<string, (number | null)[]>;
    const text = await (await adminApi('/admin/metrics')).text();
    const byMinute = (x: (number | null)[], values: (number | null)[]) => new Map(x.map((t, i) => [Number(t) * 1000, values[i]]));
    const [x, requests, errors] = (await drawn('chart-requests'))!;
    const [, p50, p99] = (await drawn('chart-latency'))!;
    const [, rooms, pushers] = (await drawn('chart-rooms'))!;
    // A minute may have turned between the two reads: compare the minutes both hold.
    const minutes = series.minutes!.filter((m) => x!.includes(Number(m) / 1000));
    expect(minutes.length).toBeGreaterThanOrEqual(59);
    for (const [name, values] of [['requests', requests], ['errors', errors], ['p50', p50], ['p99', p99], ['rooms', rooms], ['pushers', pushers]] as const) {
      const shown = byMinute(x!, values!);
      const api = byMinute(series.minutes!.map((m) => Number(m) / 1000), series[name]!);
      for (const m of minutes) expect(shown.get(Number(m)), `${name} at ${new Date(Number(m)).toISOString()}`).toEqual(api.get(Number(m)));
    }
    // Every request of this gateway so far (all within the hour) is in the chart: the same as the counters.
    const counted = (filter: (labels: string) => boolean) =>
      [...text.matchAll(/^roomservice_requests_total\{([^}]*)\} (\d+)$/gm)].filter((m) => filter(m[1]!)).reduce((sum, m) => sum + Number(m[2]), 0);
    const service = (labels: string) => !labels.includes('endpoint="admin/');
    const sum = (values: (number | null)[]) => values.reduce<number>((a, b) => a + (b ?? 0), 0);
    expect(sum(requests!)).toBe(counted(service));
    expect(sum(errors!)).toBe(counted((l) => service(l) && !l.includes('code="0"')));
    expect(sum(errors!)).toBeGreaterThanOrEqual(1);
    // The room and its pusher are drawn in the last minute.
    expect(rooms!.at(-1)).toBeGreaterThanOrEqual(1);
    expect(pushers!.at(-1)).toBeGreaterThanOrEqual(1);
    // Usage per day: today's bar holds the room-minutes the usage API reports.
    const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString();
    const usage = (await (await adminApi(`/admin/usage?from=${Date.now() - 6 * 86_400_000}&bucket=day`)).json()) as { rows: { start: string; roomMinutes: number }[] };
    const [days, roomMinutes] = (await drawn('chart-usage'))!;
    expect(days!.map((d) => new Date(Number(d) * 1000).toISOString())).toContain(today);
    expect(roomMinutes![days!.findIndex((d) => new Date(Number(d) * 1000).toISOString() === today)]).toBeGreaterThan(0);
    expect(usage.rows.some((r) => r.start === today && r.roomMinutes > 0)).toBe(true);

    // Hovering a chart shows the values under the cursor in its legend.
    const box = page.getByTestId('chart-requests').locator('.u-over');
    const area = (await box.boundingBox())!;
    await page.mouse.move(area.x + area.width - 2, area.y + area.height / 2);
    await expect.poll(() => page.getByTestId('chart-requests').locator('.u-legend .u-series').nth(1).locator('.u-value').textContent(), { timeout: UI_TIMEOUT }).toMatch(/^\d+$/);

    // The 24 h range redraws with 1,440 minutes.
    await page.getByTestId('range-24h').check();
    await expect.poll(async () => (await drawn('chart-requests'))?.[0]?.length ?? 0, { timeout: UI_TIMEOUT }).toBe(1440);
    expect(pageErrors).toEqual([]);
    expect(await page.getByTestId('error').textContent()).toBe('');
  }, 60_000);
});
