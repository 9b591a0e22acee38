/**
 * Load test (not vitest): `npm run test:load` (60 s, 1000 users, 100 rooms) and
 * `npm run test:load:short` (10 s, 200 users).
 *
 * The local gateway (scripts/gateway.ts) runs in a child process on the real
 * Redis (REDIS_URL, default redis://127.0.0.1:6379) under a key prefix of its
 * own, with quotas off, HEARTBEAT_TIMEOUT 20 s and the sweeper every 5 s. IM
 * and live API calls are the gateway's offline no-ops (no credentials are
 * set), so the numbers measure the service and Redis. This process drives it
 * through the typed client (client/, one RoomServiceClient per user, over
 * LOAD_SOCKETS keep-alive sockets), with the calls the mini-program clients make:
 *
 *   - every user: get_login_info -> login -> get_push_url (setup phase);
 *   - then LOAD_USERS concurrent virtual users, each repeatedly: joins a random
 *     multi_room (4 seats; with 1000 users for 400 seats most joins answer
 *     5001, as expected), heartbeats a few times at a compressed interval,
 *     sometimes reads get_pushers / get_room_list, and leaves; some cycles
 *     also join the audience of one live_room and have its host inc (then
 *     dec) its custom counter (only pushers write fields); the host keeps
 *     that room alive.
 *
 * Violations (exit code 1): any 5xx or transport error; any unexpected code
 * (e.g. a heartbeating pusher evicted, a leave refused); a room seen with more
 * than 4 pushers in any get_pushers / get_room_list answer, or more than 4
 * users holding a confirmed seat at once; a negative custom counter or
 * audience count, or an audience over its cap; at the end (everyone left and
 * logged out): a multi room still listed or readable, a live counter that is
 * not (successful inc - successful dec), an audience not empty, or any key
 * left under the prefix (but streams' records, which expire by themselves).
 *
 * Environment: LOAD_SECONDS (60), LOAD_USERS (1000), LOAD_ROOMS (100),
 * LOAD_SOCKETS (96, client keep-alive sockets), LOAD_HEARTBEAT_MS (1000, the
 * compressed heartbeat interval), LOAD_SEED (1), LOAD_GATEWAY (child |
 * inprocess), REDIS_URL.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import Redis from 'ioredis';
import { startGateway } from '../../scripts/gateway';
import { setLogSink } from '../../shared/log';
import { eventCountKey, eventLogKey, roomSeqKey, streamKey } from '../../shared/rooms/keys';
import { METRICS_MINUTE_TTL_MS } from '../../shared/metrics/keys';
import { ROOM_TYPES } from '../../shared/config';
import { STREAM_RECORD_TTL_MS } from '../../shared/rooms/store';
import { RoomServiceClient, RoomServiceError, type Session } from '../../client';
import { errorMessage } from '../../shared/errors';

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const SECONDS = envInt('LOAD_SECONDS', 60);
const USERS = Math.floor(envInt('LOAD_USERS', 1000));
const ROOMS = Math.floor(envInt('LOAD_ROOMS', 100));
const SOCKETS = Math.floor(envInt('LOAD_SOCKETS', 96));
const HEARTBEAT_MS = envInt('LOAD_HEARTBEAT_MS', 1000);
const SEED = Math.floor(envInt('LOAD_SEED', 1));
const IN_PROCESS = process.env.LOAD_GATEWAY === 'inprocess';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const MAX_MEMBERS = 4;
const MAX_AUDIENCES = 30;
const LIVE_ROOM = 'load-live';
const COUNTER = 'likes';
const REQUEST_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------------------
// The gateway, in a child process (or in this one with LOAD_GATEWAY=inprocess)
// ---------------------------------------------------------------------------

interface ChildReport {
  logLines: number;
  internalErrors: string[];
  sweepFailures: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

/** How long the run's event log (and the rooms' sequence counters) may keep what they hold. */
const EVENT_LOG_MAX_AGE_S = 3600;

function gatewayEnv(prefix: string): Record<string, string> {
  return {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_PER_USER: '0',
    RATE_LIMIT_PER_IP: '0',
    HEARTBEAT_TIMEOUT: '20',
    ROOM_IDLE_TIMEOUT: '30',
    MULTI_ROOM_MAX_MEMBERS: String(MAX_MEMBERS),
    LIVE_ROOM_MAX_AUDIENCES: String(MAX_AUDIENCES),
    AUTH_MODE: 'demo',
    EVENT_LOG_MAX_AGE_SECONDS: String(EVENT_LOG_MAX_AGE_S),
  };
}

/** Starts the gateway with log lines counted, not printed (SCF would ship them to its log service). */
async function serveGateway(env: Record<string, string>) {
  const report: ChildReport = { logLines: 0, internalErrors: [], sweepFailures: 0, cpuUserMs: 0, cpuSystemMs: 0 };
  setLogSink((line) => {
    report.logLines++;
    if (line.includes('"internal_error"') || line.includes('"config_error"')) {
      if (report.internalErrors.length < 5) report.internalErrors.push(line.slice(0, 1000));
    } else if (line.includes('"sweep_failed"')) report.sweepFailures++;
  });
  const cpuStart = process.cpuUsage();
  const gateway = await startGateway({ env, port: 0, sweepIntervalMs: 5000, quiet: true });
  return {
    url: gateway.url,
    async stop(): Promise<ChildReport> {
      const cpu = process.cpuUsage(cpuStart);
      report.cpuUserMs = cpu.user / 1000;
      report.cpuSystemMs = cpu.system / 1000;
      await gateway.close();
      return report;
    },
  };
}

async function childMain(): Promise<void> {
  const served = await serveGateway(JSON.parse(process.env.LOAD_GATEWAY_ENV ?? '{}') as Record<string, string>);
  process.send?.({ url: served.url });
  process.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    void served.stop().then((report) => process.send?.({ report }, () => process.exit(0)));
  });
  process.on('disconnect', () => void served.stop().finally(() => process.exit(0)));
}

interface RunningGateway {
  url: string;
  mode: string;
  stop(): Promise<ChildReport>;
}

async function launchGateway(prefix: string): Promise<RunningGateway> {
  const env = gatewayEnv(prefix);
  if (IN_PROCESS) {
    const served = await serveGateway(env);
    return { url: served.url, mode: 'in this process', stop: () => served.stop() };
  }
  const child: ChildProcess = fork(__filename, ['--gateway-child'], {
    env: { ...process.env, LOAD_GATEWAY_ENV: JSON.stringify(env) },
    execArgv: process.execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway child did not start within 30 s')), 30_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve((message as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`gateway child exited with code ${code}`)));
  });
  return {
    url,
    mode: `child process ${child.pid}`,
    stop: () =>
      new Promise<ChildReport>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill();
          reject(new Error('gateway child did not stop within 15 s'));
        }, 15_000);
        child.on('message', (message) => {
          const report = (message as { report?: ChildReport }).report;
          if (!report) return;
          clearTimeout(timer);
          resolve(report);
        });
        child.send('stop');
      }),
  };
}

// ---------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------

class Stats {
  readonly latencies = new Map<string, number[]>();
  readonly codes = new Map<string, Map<string, number>>();
  count(endpoint: string, ms: number, outcome: string): void {
    let list = this.latencies.get(endpoint);
    if (!list) this.latencies.set(endpoint, (list = []));
    list.push(ms);
    let codes = this.codes.get(endpoint);
    if (!codes) this.codes.set(endpoint, (codes = new Map()));
    codes.set(outcome, (codes.get(outcome) ?? 0) + 1);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function table(stats: Stats, seconds: number): string {
  const rows: string[][] = [['endpoint', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'codes (HTTP/code: n)']];
  const all: number[] = [];
  const allCodes = new Map<string, number>();
  for (const [endpoint, list] of [...stats.latencies.entries()].sort()) {
    const sorted = Float64Array.from(list).sort() as unknown as number[];
    for (const v of list) all.push(v);
    const codes = stats.codes.get(endpoint)!;
    for (const [c, n] of codes) allCodes.set(c, (allCodes.get(c) ?? 0) + n);
    rows.push([
      endpoint,
      String(list.length),
      (list.length / seconds).toFixed(1),
      percentile(sorted, 50).toFixed(1),
      percentile(sorted, 99).toFixed(1),
      sorted[sorted.length - 1]!.toFixed(1),
      [...codes.entries()].sort().map(([c, n]) => `${c}: ${n}`).join(', '),
    ]);
  }
  const sortedAll = Float64Array.from(all).sort() as unknown as number[];
  rows.push([
    'ALL',
    String(all.length),
    (all.length / seconds).toFixed(1),
    percentile(sortedAll, 50).toFixed(1),
    percentile(sortedAll, 99).toFixed(1),
    (sortedAll[sortedAll.length - 1] ?? NaN).toFixed(1),
    [...allCodes.entries()].sort().map(([c, n]) => `${c}: ${n}`).join(', '),
  ]);
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1, -1).map(line), rule, line(rows[rows.length - 1]!)].join('\n');
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Violations {
  readonly counts = new Map<string, number>();
  readonly examples = new Map<string, string>();
  add(kind: string, detail: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    if (!this.examples.has(kind)) this.examples.set(kind, detail.slice(0, 400));
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}

/** What one typed-client call came to: its code and HTTP status, and the result on success. */
interface Answer<T = Record<string, unknown>> {
  status: number;
  code: number;
  result?: T;
  body: Record<string, unknown>;
}

/**
 * `fetch` over a keep-alive http.Agent, so the number of sockets stays
 * LOAD_SOCKETS whatever the number of virtual users (the global fetch would
 * open one per concurrent request). Only what the typed client uses.
 */
function agentFetch(agent: http.Agent): typeof fetch {
  return ((input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const payload = typeof init.body === 'string' ? init.body : undefined;
      const req = http.request(
        String(input),
        { method: init.method ?? 'GET', agent, headers: { ...(init.headers as Record<string, string>), ...(payload === undefined ? {} : { 'content-length': String(Buffer.byteLength(payload)) }) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0 })));
          res.on('error', reject);
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    })) as typeof fetch;
}

/** Runs typed-client calls, timing each and recording its outcome and any transport failure. */
class Driver {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  readonly fetch = agentFetch(this.agent);
  recording = true;
  constructor(
    readonly baseUrl: string,
    readonly stats: Stats,
    readonly violations: Violations,
  ) {}

  client(session?: Session): RoomServiceClient {
    return new RoomServiceClient({ baseUrl: this.baseUrl, session, fetch: this.fetch });
  }

  /** One call; undefined on a transport error or a non-envelope answer (recorded as a violation). */
  async run<T>(label: string, call: () => Promise<T>): Promise<Answer<T> | undefined> {
    const started = performance.now();
    const count = (outcome: string) => this.recording && this.stats.count(label, performance.now() - started, outcome);
    try {
      const result = await call();
      count('200/0');
      return { status: 200, code: 0, result, body: result as Record<string, unknown> };
    } catch (error) {
      if (!(error instanceof RoomServiceError) || error.body.code === undefined) {
        count(error instanceof RoomServiceError ? `${error.status}/?` : 'error');
        this.violations.add(error instanceof RoomServiceError ? 'non-envelope answer' : 'transport error', `${label}: ${errorMessage(error)}`);
        return undefined;
      }
      count(`${error.status}/${error.code}`);
      if (error.status >= 500) this.violations.add('HTTP 5xx', `${label}: HTTP ${error.status} ${JSON.stringify(error.body)}`);
      return { status: error.status, code: error.code, body: error.body };
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

interface User {
  id: string;
  /** This user's typed client, holding its session. */
  api: RoomServiceClient;
  pushURL: string;
}

async function inPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const prefix = `load-${randomBytes(4).toString('hex')}`;
  const violations = new Violations();
  const stats = new Stats();
  const setupStats = new Stats();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const gateway = await launchGateway(prefix);
  const setup = new Driver(gateway.url, setupStats, violations);
  const driver = new Driver(gateway.url, stats, violations);
  let childReport: ChildReport | undefined;
  const expectCode = (label: string, answer: Answer | undefined, allowed: number[], context = ''): boolean => {
    if (!answer) return false;
    if (allowed.includes(answer.code)) return true;
    violations.add(`unexpected code on ${label}`, `${context} HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return false;
  };

  console.log(
    `load: ${USERS} users, ${ROOMS} multi rooms x ${MAX_MEMBERS} seats, ${SECONDS} s, ${SOCKETS} keep-alive sockets, heartbeat every ~${HEARTBEAT_MS} ms; ` +
      `gateway ${gateway.mode} at ${gateway.url}, Redis ${REDIS_URL} prefix ${prefix}`,
  );

  try {
    // --- Setup: every user signs in the way the clients do.
    const setupStarted = performance.now();
    const ids = Array.from({ length: USERS }, (_v, i) => `lu${String(i).padStart(5, '0')}`);
    const users: User[] = [];
    const signIn = async (id: string): Promise<User | undefined> => {
      const api = setup.client();
      const info = await setup.run('utils/get_login_info', () => api.getLoginInfo({ userID: id }));
      if (!expectCode('get_login_info', info, [0], id)) return undefined;
      const { sdkAppID, accType, userSig } = info!.result!;
      const login = await setup.run('multi_room/login', () => api.login('multi_room', { sdkAppID, accountType: accType, userID: id, userSig }));
      if (!expectCode('login', login, [0], id)) return undefined;
      const push = await setup.run('multi_room/get_push_url', () => api.getPushUrl('multi_room'));
      if (!expectCode('get_push_url', push, [0], id)) return undefined;
      // The run's calls are timed by the run's driver, on the same session.
      return { id, api: driver.client(api.session), pushURL: push!.result!.pushURL };
    };
    await inPool(ids, SOCKETS, async (id) => {
      const user = await signIn(id);
      if (user) users.push(user);
    });
    const host = await signIn('lhost');
    if (!host || users.length !== USERS) throw new Error(`setup failed: ${users.length}/${USERS} users signed in`);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    // The live room, kept alive by its host.
    const hostJoin = await setup.run('live_room/add_pusher', () =>
      host.api.addPusher('live_room', { roomID: LIVE_ROOM, userName: 'host', userAvatar: '', pushURL: host.pushURL, roomInfo: 'load live room' }),
    );
    if (!expectCode('live add_pusher', hostJoin, [0])) throw new Error('could not open the live room');

    // --- The run.
    const random = rng(SEED);
    const runStarted = performance.now();
    const deadline = runStarted + SECONDS * 1000;
    const running = () => performance.now() < deadline;
    const rooms = Array.from({ length: ROOMS }, (_v, i) => `load-m-${String(i).padStart(3, '0')}`);
    const seated = new Map<string, Set<string>>(rooms.map((r) => [r, new Set<string>()]));
    let maxSeatedSeen = 0;
    let incOK = 0;
    let decOK = 0;
    let joins = 0;
    let full = 0;
    let cycles = 0;
    let minCounter = Infinity;
    let maxAudience = 0;

    const counterOf = (answer: Answer<{ custom: string }> | undefined): number | undefined => {
      if (!answer?.result || typeof answer.result.custom !== 'string') return undefined;
      const value = (JSON.parse(answer.result.custom) as Record<string, unknown>)[COUNTER];
      return value === undefined ? 0 : Number(value);
    };
    const checkDetail = (label: string, room: unknown) => {
      const pushers = (room as { pushers?: unknown }).pushers;
      if (!Array.isArray(pushers)) {
        violations.add('malformed room detail', `${label}: ${JSON.stringify(room)}`);
        return;
      }
      if (pushers.length > MAX_MEMBERS) violations.add('room over capacity (server answer)', `${label}: ${pushers.length} pushers in ${JSON.stringify(room).slice(0, 300)}`);
    };

    const hostKeepAlive = (async () => {
      while (running()) {
        await sleep(2000);
        const beat = await driver.run('live_room/pusher_heartbeat', () => host.api.pusherHeartbeat('live_room', { roomID: LIVE_ROOM }));
        expectCode('live host heartbeat', beat, [0]);
      }
    })();


    const virtualUser = async (u: User) => {
      // Spread the start over the first second.
      await sleep(random() * 1000);
      while (running()) {
        cycles++;
        const live = random() < 0.3;
        let inAudience = false;
        let incremented = false;
        if (live) {
          const aud = await driver.run('live_room/add_audience', () => u.api.addAudience('live_room', { roomID: LIVE_ROOM, userInfo: JSON.stringify({ nick: u.id }) }));
          inAudience = expectCode('add_audience', aud, [0, 1]) && aud!.code === 0;
          // Only the room's pushers may write custom fields: the host counts the like.
          const inc = await driver.run('live_room/set_custom_field', () => host.api.setCustomField('live_room', { roomID: LIVE_ROOM, fieldName: COUNTER, operation: 'inc' }));
          if (expectCode('set_custom_field inc', inc, [0])) {
            incOK++;
            incremented = true;
            const value = counterOf(inc);
            if (value === undefined || value < 1) violations.add('counter below own increment', JSON.stringify(inc!.body));
            if (value !== undefined) minCounter = Math.min(minCounter, value);
          }
          if (random() < 0.3) {
            const list = await driver.run('live_room/get_audiences', () => u.api.getAudiences('live_room', { roomID: LIVE_ROOM }));
            if (expectCode('get_audiences', list, [0])) {
              const { audienceCount: count, audiences: entries } = list!.result!;
              maxAudience = Math.max(maxAudience, count);
              if (!(count >= 0) || count > MAX_AUDIENCES || count !== entries.length) violations.add('audience count wrong', JSON.stringify(list!.body).slice(0, 300));
            }
          }
        }

        const roomID = rooms[Math.floor(random() * rooms.length)]!;
        const join = await driver.run('multi_room/add_pusher', () => u.api.addPusher('multi_room', { roomID, userName: u.id, userAvatar: '', pushURL: u.pushURL, roomInfo: `load ${roomID}` }));
        if (expectCode('add_pusher', join, [0, 5001], roomID) && join!.code === 0) {
          joins++;
          const seats = seated.get(roomID)!;
          seats.add(u.id);
          maxSeatedSeen = Math.max(maxSeatedSeen, seats.size);
          if (seats.size > MAX_MEMBERS) violations.add('room over capacity (confirmed seats)', `${roomID}: ${[...seats].join(',')}`);
          const beats = 3 + Math.floor(random() * 4);
          let evicted = false;
          for (let i = 0; i < beats && running(); i++) {
            await sleep(HEARTBEAT_MS * (0.7 + random() * 0.6));
            if (!running()) break;
            const beat = await driver.run('multi_room/pusher_heartbeat', () => u.api.pusherHeartbeat('multi_room', { roomID }));
            if (!expectCode('pusher_heartbeat', beat, [0], roomID)) {
              evicted = beat?.code === 5;
              if (evicted) break;
            }
            const dice = random();
            if (dice < 0.3) {
              const detail = await driver.run('multi_room/get_pushers', () => u.api.getPushers('multi_room', { roomID }));
              if (expectCode('get_pushers', detail, [0], roomID)) {
                checkDetail(`get_pushers ${roomID}`, detail!.result);
                const mine = detail!.result!.pushers.some((p) => p.userID === u.id);
                if (!mine) violations.add('seated user missing from get_pushers', `${u.id} in ${roomID}`);
              }
            } else if (dice < 0.4) {
              const list = await driver.run('multi_room/get_room_list', () => u.api.getRoomList('multi_room', { index: Math.floor(random() * ROOMS), cnt: 20 }));
              if (expectCode('get_room_list', list, [0])) {
                const listed = list!.result!.rooms;
                if (new Set(listed.map((r) => r.roomID)).size !== listed.length) violations.add('duplicate room in a list page', JSON.stringify(listed.map((r) => r.roomID)));
                for (const room of listed) checkDetail(`get_room_list ${room.roomID}`, room);
              }
            }
          }
          seats.delete(u.id);
          if (!evicted) {
            const leave = await driver.run('multi_room/delete_pusher', () => u.api.deletePusher('multi_room', { roomID }));
            expectCode('delete_pusher', leave, [0], roomID);
          }
        } else {
          full++;
          // Room full: think a little before trying another.
          await sleep(500 + random() * 1000);
        }

        if (incremented) {
          const dec = await driver.run('live_room/set_custom_field', () => host.api.setCustomField('live_room', { roomID: LIVE_ROOM, fieldName: COUNTER, operation: 'dec' }));
          if (expectCode('set_custom_field dec', dec, [0])) {
            decOK++;
            const value = counterOf(dec);
            if (value === undefined || value < 0) violations.add('negative counter', JSON.stringify(dec!.body));
            if (value !== undefined) minCounter = Math.min(minCounter, value);
          }
        }
        if (live && random() < 0.2) {
          const info = await driver.run('live_room/get_custom_info', () => u.api.getCustomInfo('live_room', { roomID: LIVE_ROOM }));
          if (expectCode('get_custom_info', info, [0])) {
            const value = counterOf(info);
            if (value === undefined || value < 0) violations.add('negative counter', JSON.stringify(info!.body));
          }
        }
        if (inAudience) {
          const out = await driver.run('live_room/delete_audience', () => u.api.deleteAudience('live_room', { roomID: LIVE_ROOM }));
          expectCode('delete_audience', out, [0]);
        }
      }
    };

    const progress = setInterval(() => {
      const done = [...stats.latencies.values()].reduce((n, l) => n + l.length, 0);
      const elapsed = (performance.now() - runStarted) / 1000;
      process.stdout.write(`  ${elapsed.toFixed(0)} s: ${done} requests (${(done / elapsed).toFixed(0)} req/s), ${[...seated.values()].reduce((n, s) => n + s.size, 0)} seated, ${violations.total} violations\n`);
    }, 10_000);
    await Promise.all(users.map(virtualUser));
    const runSeconds = (performance.now() - runStarted) / 1000;
    clearInterval(progress);
    await hostKeepAlive;

    // --- Final state: everyone left.
    driver.recording = false;
    const checker = users[0]!;
    const info = await driver.run('live_room/get_custom_info', () => checker.api.getCustomInfo('live_room', { roomID: LIVE_ROOM }));
    const finalCounter = counterOf(info);
    if (finalCounter !== incOK - decOK) violations.add('final counter', `counter ${String(finalCounter)} != inc ${incOK} - dec ${decOK}`);
    const audience = await driver.run('live_room/get_audiences', () => checker.api.getAudiences('live_room', { roomID: LIVE_ROOM }));
    if (!audience || audience.result?.audienceCount !== 0) violations.add('final audience not empty', JSON.stringify(audience?.body).slice(0, 300));
    const listed = await driver.run('multi_room/get_room_list', () => checker.api.getRoomList('multi_room', { index: 0, cnt: 100 }));
    if (!listed || listed.result?.rooms.length !== 0) violations.add('multi rooms left after everyone left', JSON.stringify(listed?.body).slice(0, 300));
    let readable = 0;
    await inPool(rooms, 16, async (roomID) => {
      const detail = await driver.run('multi_room/get_pushers', () => checker.api.getPushers('multi_room', { roomID }));
      if (detail?.code !== 3) readable++;
    });
    if (readable > 0) violations.add('multi rooms still readable after everyone left', `${readable} rooms`);
    for (const [roomID, seats] of seated) if (seats.size > 0) violations.add('seats left (client view)', `${roomID}: ${[...seats].join(',')}`);
    const hostLeave = await driver.run('live_room/delete_pusher', () => host.api.deletePusher('live_room', { roomID: LIVE_ROOM }));
    expectCode('live host leave', hostLeave, [0]);
    const liveGone = await driver.run('live_room/get_pushers', () => checker.api.getPushers('live_room', { roomID: LIVE_ROOM }));
    if (liveGone?.code !== 3) violations.add('live room still there after its host left', JSON.stringify(liveGone?.body).slice(0, 200));
    await inPool([...users, host], SOCKETS, async (u) => {
      expectCode('logout', await driver.run('multi_room/logout', () => u.api.logout('multi_room')), [0], u.id);
    });

    const leftovers: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      cursor = next;
      leftovers.push(...keys);
    } while (cursor !== '0');
    // A stream's record outlives its seat on purpose (a late or repeated push/stop
    // callback must still be judged against it) and expires by itself: such a
    // record is expected, as long as it carries its expiry.
    // The event log (and its position counter) is the record of what happened and
    // stays, bounded by EVENT_LOG_MAX_LEN / _AGE_SECONDS; each room's sequence
    // counter outlives the room (a reused id continues its sequence) and expires
    // with the log's age.
    const streamRecords = streamKey(prefix, '');
    const eventLog = new Set([eventLogKey(prefix), eventCountKey(prefix)]);
    const isSeqKey = (key: string) => ROOM_TYPES.some((type) => key.startsWith(roomSeqKey(prefix, type, '')));
    // The metrics (docs/metrics.md): the running totals stay; each minute's hash expires after 48 hours.
    const metricsBase = eventLogKey(prefix).slice(0, -2);
    const isMetricsMinute = (key: string) => key.startsWith(`${metricsBase}m:`) && /:m:\d+$/.test(key);
    const stray: string[] = [];
    for (const key of leftovers) {
      if (eventLog.has(key) || key === `${metricsBase}m:all`) continue;
      if (isMetricsMinute(key)) {
        const ttl = await redis.pttl(key);
        if (ttl <= 0 || ttl > METRICS_MINUTE_TTL_MS) stray.push(key);
        continue;
      }
      const ttl = key.startsWith(streamRecords) || isSeqKey(key) ? await redis.pttl(key) : -1;
      const bound = isSeqKey(key) ? EVENT_LOG_MAX_AGE_S * 1000 : STREAM_RECORD_TTL_MS;
      if (ttl <= 0 || ttl > bound) stray.push(key);
    }
    if (stray.length > 0) violations.add('keys left under the prefix', `${stray.length}: ${stray.slice(0, 10).join(', ')}`);

    childReport = await gateway.stop();
    if (childReport.internalErrors.length > 0) violations.add('gateway internal errors', childReport.internalErrors.join('\n'));
    if (childReport.sweepFailures > 0) violations.add('sweeper failures', String(childReport.sweepFailures));

    // --- Report.
    const total = [...stats.latencies.values()].reduce((n, l) => n + l.length, 0);
    let fivexx = 0;
    for (const codes of stats.codes.values()) for (const [outcome, n] of codes) if (Number(outcome.split('/')[0]) >= 500) fivexx += n;
    const setupRequests = [...setupStats.latencies.values()].reduce((n, l) => n + l.length, 0);
    console.log(`\nsetup: ${USERS + 1} users signed in (get_login_info + login + get_push_url) in ${setupSeconds.toFixed(1)} s (${setupRequests} requests, ${(setupRequests / setupSeconds).toFixed(0)} req/s)`);
    console.log(`run: ${runSeconds.toFixed(1)} s, ${total} requests, ${(total / runSeconds).toFixed(0)} req/s\n`);
    console.log(table(stats, runSeconds));
    const cores = childReport ? (childReport.cpuUserMs + childReport.cpuSystemMs) / 1000 / (runSeconds + setupSeconds) : NaN;
    console.log(
      `\njoin cycles ${cycles}: ${joins} seated, ${full} room full (5001, expected: ${USERS} users for ${ROOMS * MAX_MEMBERS} seats); ` +
        `max confirmed seats in one room ${maxSeatedSeen}/${MAX_MEMBERS}; live counter inc ${incOK} dec ${decOK}, final ${String(finalCounter)}, ` +
        `lowest seen ${minCounter === Infinity ? '-' : minCounter}; max audience ${maxAudience}/${MAX_AUDIENCES}`,
    );
    console.log(
      `gateway (${gateway.mode}): ${childReport.logLines} log lines, CPU ${(childReport.cpuUserMs / 1000).toFixed(1)} s user + ${(childReport.cpuSystemMs / 1000).toFixed(1)} s system` +
        ` (~${cores.toFixed(2)} cores over setup + run)`,
    );
    console.log(`5xx: ${fivexx}; violations: ${violations.total}`);
    for (const [kind, n] of violations.counts) console.log(`  VIOLATION ${n} x ${kind}: ${violations.examples.get(kind)}`);
  } finally {
    driver.close();
    setup.close();
    if (!childReport) await gateway.stop().catch(() => undefined);
    // Leave nothing behind on the shared Redis, whatever happened.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
  process.exitCode = violations.total > 0 ? 1 : 0;
}

if (process.argv.includes('--gateway-child')) {
  childMain().catch((error: unknown) => {
    process.stderr.write(`load gateway child failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`load test failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
