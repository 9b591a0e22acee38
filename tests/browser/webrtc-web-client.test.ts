/**
 * The PC browser client of TRTC rooms (TencentVideoCloudMLVBDev/webrtc_web_source,
 * the Vue class-room demo around component/WebRTCRoom.js) against this
 * service in real headless Chromium, its files unchanged: a teacher creates a
 * class, a student finds it in the list and enters, each class page shows the
 * other by nickName (get_room_members), heartbeats carry the room, and quitting
 * empties the member list and then the room list.
 *
 * The client's files are not in this repository. They are read from a
 * fetched copy (clientSource below: WEBRTC_WEB_SOURCE, a sibling clone, or the
 * fetch tool's mirror); without one the suite is skipped and says how to get
 * them. Its server URL is hard-coded (`//xzb.qcloud.com/webrtc/weapp/webrtc_room`):
 * Chromium's host resolver maps that host to the local gateway, so every call
 * (and its CORS preflight: the page is served from another origin) reaches the
 * gateway over the network as it would reach a deployment, prefix and all.
 * Every other host resolves to nothing. The only stand-ins are Tencent's
 * browser SDKs the page loads from Tencent's CDN (the TRTC WebRTCAPI and
 * webim), which cannot reach Tencent from here: an init script defines
 * minimal ones that succeed, as the cloud would.
 *
 * Runs on the real Redis and on the embedded store (vitest.config.ts EMBEDDED).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogSink } from '../../shared/log';
import { startGateway, type Gateway } from '../../scripts/gateway';
import type { FakeCloud } from '../support/fake-cloud';
import { deleteByPrefix, STORE, startTestCloud, testEnv } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CLIENT_REPO = 'https://github.com/TencentVideoCloudMLVBDev/webrtc_web_source';
/** The host WebRTCRoom.js posts to (its serverDomain). */
const CLIENT_SERVER_HOST = 'xzb.qcloud.com';
// A loaded machine (two cores, several suites) is slow; the client itself polls members every 3 s and beats every 7 s.
const UI_TIMEOUT = 20_000;

/** Where a copy of the client may be: a checkout, or a bare git directory (the fetch tool's mirror). */
const CANDIDATES = [
  process.env.WEBRTC_WEB_SOURCE,
  path.resolve(__dirname, '../../../webrtc_web_source'),
  path.resolve(__dirname, '../../../.mirror/TencentVideoCloudMLVBDev+webrtc_web_source/repo'),
  // The same mirror seen from a clone elsewhere on this machine (CI clones main into a folder of its own).
  '/work/.mirror/TencentVideoCloudMLVBDev+webrtc_web_source/repo',
].filter((dir): dir is string => Boolean(dir));

interface ClientSource {
  where: string;
  read(file: string): Buffer | undefined;
}

/** The first candidate holding component/WebRTCRoom.js, read as files or through git. */
function clientSource(): ClientSource | undefined {
  for (const dir of CANDIDATES) {
    if (existsSync(path.join(dir, 'component/WebRTCRoom.js'))) {
      return {
        where: dir,
        read: (file) => {
          const full = path.resolve(dir, file);
          return full.startsWith(path.resolve(dir) + path.sep) && existsSync(full) ? readFileSync(full) : undefined;
        },
      };
    }
    const show = (file: string) => {
      try {
        return execFileSync('git', ['--git-dir', dir, 'show', `HEAD:${file}`], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 32 * 1024 * 1024 });
      } catch {
        return undefined;
      }
    };
    if (existsSync(dir) && show('component/WebRTCRoom.js')) return { where: dir, read: show };
  }
  return undefined;
}

const source = clientSource();
const HOW_TO_GET_IT = `the PC web client is not here: clone ${CLIENT_REPO} and set WEBRTC_WEB_SOURCE to it (or clone it next to this repository as ../webrtc_web_source)`;
if (!source) process.stderr.write(`tests/browser/webrtc-web-client.test.ts skipped: ${HOW_TO_GET_IT}\n`);

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png' };

/** Serves the client's files as they are (index.html included), from an origin of their own. */
function serveClient(files: ClientSource): Promise<Server> {
  const server = createServer((req, res) => {
    const file = decodeURIComponent(new URL(req.url ?? '/', 'http://client').pathname).replace(/^\/+/, '') || 'index.html';
    const body = file.includes('..') ? undefined : files.read(file);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Tencent's browser SDKs, which index.html loads from Tencent's CDN, as
 * minimal stand-ins that succeed (no TRTC or IM cloud is reachable here).
 * They record what the page gives them: WebRTCAPI gets get_login_info's
 * sdkAppID, userSig and accountType.
 */
const TENCENT_SDK_STANDINS = () => {
  const later = (fn?: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(() => fn?.(...args), 0);
  const w = globalThis as unknown as Record<string, unknown>;
  const trtc = { options: [] as unknown[], rooms: [] as unknown[] };
  w.__trtc = trtc;
  function WebRTCAPI(options: unknown, ready: () => void) {
    trtc.options.push(options);
    later(ready);
  }
  WebRTCAPI.prototype.on = () => undefined;
  WebRTCAPI.prototype.createRoom = (options: unknown, ok: () => void) => {
    trtc.rooms.push(options);
    later(ok);
  };
  WebRTCAPI.prototype.quit = () => undefined;
  w.WebRTCAPI = WebRTCAPI;
  w.webim = {
    login: (_info: unknown, _listeners: unknown, _options: unknown, ok: () => void) => later(ok),
    setProfilePortrait: (_profile: unknown, ok: (resp: unknown) => void) => later(ok, {}),
    createGroup: (_options: unknown, ok: (resp: unknown) => void) => later(ok, {}),
    applyJoinBigGroup: (_options: unknown, ok: (resp: unknown) => void) => later(ok, { JoinedStatus: 'JoinedSuccess' }),
    logout: () => undefined,
    Log: { info: () => undefined },
  };
};

interface Call {
  action: string;
  request: Record<string, unknown>;
  answer: Record<string, unknown>;
}

describe.skipIf(!source)(`the PC web client (webrtc_web_source, unchanged) in headless Chromium, ${STORE} store`, () => {
  let fake: FakeCloud;
  let gw: Gateway;
  let site: Server;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const prefix = `test-web-${randomBytes(3).toString('hex')}`;
  const pageErrors: string[] = [];
  /** Every webrtc_room call a page made, with its answer, in order. */
  const calls: Call[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the browser test needs Debian's chromium, install it with \`sudo apt-get install -y chromium\` (.ci/run does), or set CHROMIUM_PATH`);
    }
    setLogSink(() => undefined);
    fake = await startTestCloud();
    // A long heartbeat timeout: no member may lapse while a loaded machine drives two pages.
    const env: NodeJS.ProcessEnv = testEnv(fake, prefix, { WEBRTC_ROOM_HEARTBEAT_TIMEOUT: '120', IM_ACCOUNT_TYPE: '36862' });
    if (STORE === 'embedded') delete env.REDIS_URL; // the gateway then runs on the embedded store, as `npm start` does
    gw = await startGateway({ env, port: 0, sweepIntervalMs: 0, quiet: true });
    site = await serveClient(source!);
    const gatewayPort = new URL(gw.url).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // The client's server host is the gateway; nothing else resolves (its CDN scripts, analytics, log upload).
      args: [`--host-resolver-rules=MAP ${CLIENT_SERVER_HOST} 127.0.0.1:${gatewayPort}, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    site?.close();
    if (gw) {
      await deleteByPrefix(gw.runtime, prefix);
      await gw.close();
    }
    await fake?.close();
  });

  /** A user of the demo: a browser profile of its own (the client keeps its userID in localStorage). */
  async function openClient(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    contexts.push(context);
    await context.addInitScript(TENCENT_SDK_STANDINS);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('dialog', (dialog) => void dialog.accept()); // the logout confirm()
    page.on('response', (response) => void recordCall(response));
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/index.html`);
    return page;
  }

  async function recordCall(response: Response) {
    const url = new URL(response.url());
    const match = /\/weapp\/webrtc_room\/([a-z_]+)$/.exec(url.pathname);
    if (!match || response.request().method() !== 'POST') return;
    const answer = (await response.json().catch(() => ({ unreadable: response.status() }))) as Record<string, unknown>;
    calls.push({ action: match[1]!, request: JSON.parse(response.request().postData() ?? '{}') as Record<string, unknown>, answer });
  }

  /** The names in a class page's member sidebar (the first entry is the user itself). */
  const sidebar = (page: Page) => page.locator('.edu-sidebar-list li').allInnerTexts();

  it('create, list, enter, members by nickName, heartbeat, quit: the session of the class demo', async () => {
    // The teacher creates a class from the (empty) list page.
    const teacher = await openClient();
    await teacher.getByText('暂时没有直播，请创建课堂').waitFor();
    await teacher.getByRole('button', { name: '创建房间' }).click();
    await teacher.getByPlaceholder('请输入课堂名称').fill('Physics 101');
    await teacher.getByPlaceholder('请输入你的昵称').fill('王老师');
    await teacher.getByRole('button', { name: '创建', exact: true }).click();
    await expect.poll(() => calls.find((c) => c.action === 'create_room')?.answer, { timeout: UI_TIMEOUT }).toMatchObject({ code: 0 });
    const created = calls.find((c) => c.action === 'create_room')!;
    const roomID = String(created.answer.roomID);
    expect(created.request).toMatchObject({ nickName: '王老师', roomInfo: 'Physics 101' });
    expect(created.answer).toMatchObject({ roomInfo: 'Physics 101', userID: created.request.userID });
    await teacher.locator('.edu-class-title').getByText(`Physics 101（ID:${roomID})`).waitFor();

    // The student sees the class by its name in the list, and enters with a nickName.
    const student = await openClient();
    const listed = student.locator('.edu-index-class-list li', { hasText: 'Physics 101' });
    await listed.getByRole('button', { name: '加入' }).click();
    await student.getByPlaceholder('请输入你的昵称').fill('李白');
    await student.getByRole('button', { name: '进入房间' }).click();
    await expect.poll(() => calls.find((c) => c.action === 'enter_room')?.answer, { timeout: UI_TIMEOUT }).toMatchObject({ code: 0, roomID });
    const studentID = String(calls.find((c) => c.action === 'enter_room')!.request.userID);

    // Each class page lists the other by the nickName they entered with (get_room_members, polled every 3 s).
    await expect.poll(() => sidebar(teacher), { timeout: UI_TIMEOUT }).toEqual([expect.stringContaining('王老师'), '李白']);
    await expect.poll(() => sidebar(student), { timeout: UI_TIMEOUT }).toEqual([expect.stringContaining('李白'), '王老师']);

    // Heartbeats (every 7 s) go out for the room enter_room answered, and are answered 0.
    const beat = () => calls.find((c) => c.action === 'heartbeat' && c.request.userID === studentID);
    await expect.poll(() => beat()?.answer, { timeout: UI_TIMEOUT }).toMatchObject({ code: 0 });
    expect(beat()!.request.roomID).toBe(roomID);

    // The TRTC SDK was given get_login_info's answer, accountType included (IM_ACCOUNT_TYPE).
    const sdk = (await student.evaluate(() => (globalThis as unknown as { __trtc: { options: unknown[] } }).__trtc.options)) as Record<string, unknown>[];
    expect(sdk).toEqual([expect.objectContaining({ openid: studentID, accountType: '36862', sdkAppId: expect.any(Number), userSig: expect.any(String) })]);

    // The student logs out (退出, confirmed): quit_room, back to the list; the teacher's page drops them.
    await student.getByText('退出', { exact: true }).click();
    await expect.poll(() => calls.find((c) => c.action === 'quit_room' && c.request.userID === studentID)?.answer, { timeout: UI_TIMEOUT }).toMatchObject({ code: 0 });
    await expect.poll(() => sidebar(teacher), { timeout: UI_TIMEOUT }).toEqual([expect.stringContaining('王老师')]);
    await student.locator('.edu-index-class-list li', { hasText: 'Physics 101' }).waitFor();

    // The teacher leaves too: the room ends and the student's list (polled every 2 s) empties.
    await teacher.getByText('退出', { exact: true }).click();
    await student.getByText('暂时没有直播，请创建课堂').waitFor();
    const left = await fetch(`${gw.url}/weapp/webrtc_room/get_room_members`, { method: 'POST', body: JSON.stringify({ roomID }) });
    expect(((await left.json()) as { code: number }).code).toBe(3);

    // Every action of the session was served, and nothing the client sent was refused.
    expect(new Set(calls.map((c) => c.action))).toEqual(new Set(['get_room_list', 'get_login_info', 'create_room', 'enter_room', 'get_room_members', 'heartbeat', 'quit_room']));
    const refused = calls.filter((c) => c.answer.code !== 0 && !(c.action === 'get_room_members' && c.answer.code === 3));
    expect(refused).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
