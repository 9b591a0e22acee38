/**
 * Side by side with the 2018 RoomService (koa, rooms in one process's memory;
 * `server/` of TencentVideoCloudMLVBDev/MiniProgram at e273057), in one run on
 * the same machine, so the ratio survives a noisy one: both servers get one
 * seated pusher (get_login_info, login, get_push_url, create_room,
 * add_pusher), then autocannon loads `pusher_heartbeat` in alternating rounds
 * (old, new, old, new ...). Ours is the compiled self-hosted server
 * (dist/server/index.js) on the real Redis, with its request log written to a
 * file and rate limits off, as the 2018 server has none
 * (../shared/perf/README.md).
 *
 * The 2018 code is not in this repository: it is read from OLD_ROOMSERVICE_DIR
 * (a folder holding `server/`, or `server/` itself) or from a git directory of
 * the repository (the fetch tool's mirror); without either the section says
 * so and measures nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildServer } from '../../scripts/build-server';
import type { Bed } from '../lib/bed';
import { median, round } from '../lib/stats';
import { freePort } from './script-cpu';

/** The commit whose server/ the 2018 figures were taken from (../shared/perf/README.md). */
const OLD_COMMIT = 'e273057';
const MIRROR = 'TencentVideoCloudMLVBDev+MiniProgram/repo';
const GIT_CANDIDATES = [path.resolve(__dirname, '../../..', '.mirror', MIRROR), `/work/.mirror/${MIRROR}`];

export interface SideBySideRound {
  server: 'old' | 'new';
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Answers that were not code 0. */
  wrongAnswers: number;
}

export interface SideBySideResult {
  status: 'ok' | 'unavailable';
  note: string;
  workers: number;
  connections: number;
  seconds: number;
  rounds: SideBySideRound[];
  oldRps: number;
  newRps: number;
  /** Median new req/s over median old req/s. */
  ratio: number;
  oldP99: number;
  newP99: number;
  /** Request lines our server wrote to its log file. */
  loggedLines: number;
  loadAverage: { before: number; after: number };
  /** Our server exited 0 on SIGTERM. */
  cleanExit: boolean;
}

/** A folder with the 2018 `server/` and the launcher beside it, or why there is none. */
function oldServerFolder(): { dir: string; where: string } | { missing: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roomservice-2018-'));
  copyFileSync(path.join(__dirname, '..', 'lib', 'old-server-launch.js'), path.join(dir, 'old-server-launch.js'));
  const given = process.env.OLD_ROOMSERVICE_DIR;
  if (given) {
    const server = existsSync(path.join(given, 'server', 'app.js')) ? path.join(given, 'server') : given;
    if (!existsSync(path.join(server, 'app.js'))) return { missing: `OLD_ROOMSERVICE_DIR=${given} holds no server/app.js` };
    symlinkSync(path.resolve(server), path.join(dir, 'server'));
    return { dir, where: server };
  }
  const git = GIT_CANDIDATES.find((candidate) => existsSync(path.join(candidate, 'HEAD')));
  if (!git) return { missing: `no 2018 code: set OLD_ROOMSERVICE_DIR, or fetch TencentVideoCloudMLVBDev/MiniProgram (looked in ${GIT_CANDIDATES.join(', ')})` };
  const archive = (rev: string, what: string) => execFileSync('bash', ['-c', `git --git-dir="$0" archive ${rev} ${what} | tar -x -C "$1"`, git, dir]);
  archive(OLD_COMMIT, 'server');
  // koa-cors is missing from that commit's node_modules; a later commit has it.
  archive('HEAD', 'server/node_modules/koa-cors');
  return { dir, where: `${git} @ ${OLD_COMMIT}` };
}

async function waitFor<T>(what: string, probe: () => T | undefined, child: ChildProcess, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (child.exitCode !== null) throw new Error(`${what}: exited with ${child.exitCode}`);
    if (Date.now() > until) throw new Error(`${what}: not up within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exited = (child: ChildProcess, ms: number) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

/** One seated pusher, by the calls both servers answer alike (../shared/perf/side-by-side.mjs). */
async function seat(base: string, kind: string): Promise<{ path: string; body: string }> {
  const userID = `bench_${Math.random().toString(16).slice(2, 8)}`;
  const info = (await (await fetch(`${base}/weapp/utils/get_login_info?userID=${userID}`)).json()) as Record<string, unknown>;
  const login = new URLSearchParams({ sdkAppID: String(info.sdkAppID), accountType: String(info.accType ?? ''), userID, userSig: String(info.userSig) });
  const post = async (action: string, query: URLSearchParams | Record<string, string>, body: object) =>
    (await (
      await fetch(`${base}/weapp/multi_room/${action}?${new URLSearchParams(query)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json()) as Record<string, unknown>;
  const lg = await post('login', login, {});
  const auth = { userID, token: String(lg.token) };
  const pu = await post('get_push_url', auth, { userID });
  const cr = await post('create_room', auth, { userID, roomInfo: 'bench' });
  const ap = await post('add_pusher', auth, { userID, roomID: cr.roomID, userName: 'b', userAvatar: 'a', pushURL: pu.pushURL });
  const hb = await post('pusher_heartbeat', auth, { userID, roomID: cr.roomID });
  if (hb.code !== 0) throw new Error(`${kind}: seating a pusher failed: ${JSON.stringify([lg.code, pu.code, cr.code, ap.code, hb])}`);
  return { path: `/weapp/multi_room/pusher_heartbeat?${new URLSearchParams(auth)}`, body: JSON.stringify({ userID, roomID: cr.roomID }) };
}

async function load(base: string, target: { path: string; body: string }, connections: number, seconds: number): Promise<autocannon.Result> {
  // Every answer must be the heartbeat's success (code 0), from either server.
  const verifyBody = (body: string) => /"code":0[,}]/.test(body);
  return autocannon({ url: base + target.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: target.body, connections, duration: seconds, verifyBody });
}

export async function runSideBySide(
  bed: Bed,
  options: { seconds: number; rounds: number; connections: number; warmSeconds: number; workers?: number },
): Promise<SideBySideResult> {
  const workers = options.workers ?? Number(process.env.SIDE_BY_SIDE_WORKERS ?? os.availableParallelism());
  const result: SideBySideResult = {
    status: 'unavailable',
    note: '',
    workers,
    connections: options.connections,
    seconds: options.seconds,
    rounds: [],
    oldRps: 0,
    newRps: 0,
    ratio: 0,
    oldP99: 0,
    newP99: 0,
    loggedLines: 0,
    loadAverage: { before: round(os.loadavg()[0]!, 2), after: 0 },
    cleanExit: false,
  };
  const folder = oldServerFolder();
  if ('missing' in folder) {
    result.note = folder.missing;
    return result;
  }
  const logFile = path.join(folder.dir, 'ours.log');
  let old: ChildProcess | undefined;
  let ours: ChildProcess | undefined;
  try {
    const oldPort = await freePort();
    const oldOut: string[] = [];
    old = spawn(process.execPath, ['old-server-launch.js'], { cwd: folder.dir, env: { PATH: process.env.PATH, PORT: String(oldPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    old.stdout!.on('data', (chunk: Buffer) => oldOut.push(chunk.toString()));
    old.stderr!.on('data', (chunk: Buffer) => oldOut.push(chunk.toString()));
    await waitFor('2018 server', () => (oldOut.join('').includes(`old server on ${oldPort}`) ? true : undefined), old);
    const oldBase = `http://127.0.0.1:${oldPort}`;

    const bundle = await buildServer();
    const logFd = openSync(logFile, 'w');
    ours = spawn(process.execPath, [bundle], {
      env: { ...process.env, ...bed.env, PORT: '0', HOST: '127.0.0.1', WORKERS: String(workers), RATE_LIMIT_PER_USER: '0', RATE_LIMIT_PER_IP: '0' },
      stdio: ['ignore', logFd, 'inherit'],
    });
    closeSync(logFd);
    const newBase = await waitFor('our server', () => /"event":"server_started","url":"([^"]+)"/.exec(readFileSync(logFile, 'utf8'))?.[1], ours);

    const targets = { old: await seat(oldBase, '2018 server'), new: await seat(newBase, 'our server') };
    const bases = { old: oldBase, new: newBase };
    for (const server of ['old', 'new'] as const) await load(bases[server], targets[server], options.connections, options.warmSeconds);
    for (let i = 0; i < options.rounds; i++) {
      for (const server of ['old', 'new'] as const) {
        const r = await load(bases[server], targets[server], options.connections, options.seconds);
        result.rounds.push({ server, requestsPerSecond: round(r.requests.total / r.duration, 0), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, wrongAnswers: r.mismatches });
      }
    }
    const of = (server: 'old' | 'new', field: 'requestsPerSecond' | 'p99') => median(result.rounds.filter((r) => r.server === server).map((r) => r[field]));
    result.oldRps = of('old', 'requestsPerSecond');
    result.newRps = of('new', 'requestsPerSecond');
    result.ratio = round(result.newRps / result.oldRps, 3);
    result.oldP99 = of('old', 'p99');
    result.newP99 = of('new', 'p99');
    result.loadAverage.after = round(os.loadavg()[0]!, 2);
    ours.kill('SIGTERM');
    result.cleanExit = (await exited(ours, 20_000)) === 0;
    result.loggedLines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('"event":"request"')).length;
    result.status = 'ok';
    result.note = `2018 code from ${folder.where}; ours: dist/server/index.js, ${workers} worker(s), log to a file`;
    return result;
  } finally {
    if (ours && ours.exitCode === null) {
      ours.kill('SIGTERM');
      await exited(ours, 20_000);
    }
    if (old && old.exitCode === null) {
      old.kill('SIGTERM');
      await exited(old, 5000);
    }
    rmSync(folder.dir, { recursive: true, force: true });
  }
}
