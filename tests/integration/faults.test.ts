/**
 * Faults at the edges of the world: Redis going away and coming back, the IM
 * API failing, stalling or rate-limiting, and a sweeper dying between its
 * reap and its side effects. Every figure measured here is printed, so a run
 * documents the latencies it asserts on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type RoomType } from '../../shared/config';
import { setLogSink } from '../../shared/log';
import { connectRedis } from '../../shared/redis';
import { allPartitions, partitionOf, roomKeys } from '../../shared/rooms/keys';
import { RoomStore } from '../../shared/rooms/store';
import { sweep } from '../../shared/rooms/sweeper';
import { buildRuntime, installRuntime, type Runtime } from '../../shared/runtime';
import type { FakeCloud } from '../support/fake-cloud';
import { CLOUD, sleep, startTestCloud, invoke, pushUrlFor, signIn, signInAll, startHarness, testEnv, userSigFor, type Answer, type Client, type Harness } from '../support/harness';

const figure = (text: string) => console.log(`[faults] ${text}`);

/** What a client reads while the store is away (errors.ts): ours, never the Redis client's. */
const STORE_DOWN_MESSAGE = 'room store unavailable; retry shortly';

async function timed(work: () => Promise<Answer>): Promise<Answer & { ms: number }> {
  const started = performance.now();
  const answer = await work();
  return { ...answer, ms: Math.round(performance.now() - started) };
}

const join = (c: Client, type: RoomType, roomID: string) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: `https://a/${c.userId}.png`, pushURL: pushUrlFor(c.userId) });

const pusherIds = (answer: Answer) => ((answer.body.pushers ?? []) as { userID: string }[]).map((p) => p.userID).sort();

// ---------------------------------------------------------------------------
// A private redis-server: the shared one must never be stopped.

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** True once the server answers PONG on a fresh connection (not LOADING, not refused). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(300, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** A redis-server with fsync-always AOF, so every acknowledged write survives a restart. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(firstPort = 6391): Promise<PrivateRedis> {
    let port = firstPort;
    while (!(await portIsFree(port))) {
      port++;
      if (port > firstPort + 50) throw new Error(`no free port in ${firstPort}..${port}`);
    }
    return new PrivateRedis(port, await mkdtemp(path.join(os.tmpdir(), 'faults-redis-')));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server; resolves with the moment it first answered PONG (performance.now()). */
  async start(): Promise<number> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    args.push('--dir', this.dir, '--daemonize', 'no', '--logfile', path.join(this.dir, 'redis.log'));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    process.once('exit', this.killOnExit);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
      process.off('exit', this.killOnExit);
    });
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline) {
      if (await answersPing(this.port)) return performance.now();
      if (!this.child) throw new Error(`redis-server exited; see ${this.dir}/redis.log`);
      await sleep(10);
    }
    throw new Error(`redis-server on ${this.port} did not answer PING`);
  }

  /** SIGTERM (a graceful shutdown: the AOF is already fsynced) and wait for the process to end. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /** SIGSTOP / SIGCONT: a hung server (connections stay open, nothing answers). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------

const ADMIN_API_KEY = 'faults-admin-key-0123456789abcdefghij';

describe('Redis stopped mid-run', () => {
  let server: PrivateRedis;
  let fake: FakeCloud;
  let rt: Runtime | undefined;

  beforeAll(async () => {
    setLogSink(() => undefined);
    server = await PrivateRedis.create();
    await server.start();
    fake = await startTestCloud();
    const prefix = `test-faults-${randomBytes(3).toString('hex')}`;
    // This server is standalone even when the suite runs against the cluster (REDIS_CLUSTER=true).
    const config = loadConfig(testEnv(fake, prefix, { REDIS_URL: server.url, REDIS_CLUSTER: 'false', HEARTBEAT_TIMEOUT: '120', ROOM_IDLE_TIMEOUT: '120', ADMIN_API_KEY }));
    rt = buildRuntime(config, { redis: connectRedis(config.redisUrl!, config.redisCluster) });
    installRuntime(rt);
  });

  afterAll(async () => {
    rt?.redis.disconnect();
    installRuntime(undefined);
    await fake?.close();
    await server?.destroy();
  });

  it('answers 503 with code 5003 quickly while Redis is down, and serves the acknowledged state again within 2 s of its return', async () => {
    // Prepare: a live room (custom counters are live-room only) with two acknowledged pushers.
    const TYPE = 'live_room';
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    const roomID = 'survivor';
    expect((await join(alice, TYPE, roomID)).body.code).toBe(0);
    expect((await join(bob, TYPE, roomID)).body.code).toBe(0);
    expect((await alice.call(TYPE, 'set_custom_field', { roomID, fieldName: 'likes', operation: 'inc' })).body.code).toBe(0);

    // Act 1: heartbeats in flight while the server goes down.
    const burst = Array.from({ length: 20 }, (_, i) => sleep(i * 10).then(() => timed(() => alice.call(TYPE, 'pusher_heartbeat', { roomID }))));
    await sleep(95);
    await server.stop();
    const inFlight = await Promise.all(burst);

    // Act 2: every kind of store call while it is down.
    const down: [string, Answer & { ms: number }][] = [];
    down.push(['pusher_heartbeat', await timed(() => alice.call(TYPE, 'pusher_heartbeat', { roomID }))]);
    down.push(['get_pushers', await timed(() => bob.call(TYPE, 'get_pushers', { roomID }))]);
    down.push(['add_pusher', await timed(() => join(carol, TYPE, roomID))]);
    down.push(['get_room_list', await timed(() => bob.call(TYPE, 'get_room_list', { index: 0, cnt: 10 }))]);
    down.push(['set_custom_field', await timed(() => alice.call(TYPE, 'set_custom_field', { roomID, fieldName: 'likes', operation: 'inc' }))]);
    down.push(['create_room', await timed(() => carol.call(TYPE, 'create_room', { roomID: 'newborn', roomInfo: 'x' }))]);
    down.push(['logout', await timed(() => bob.call(TYPE, 'logout'))]);
    down.push(['login', await timed(() => invoke('/weapp/multi_room/login', { query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'dave', userSig: userSigFor('dave') } }))]);
    const admin = { authorization: `Bearer ${ADMIN_API_KEY}` };
    down.push(['admin rooms', await timed(() => invoke('/admin/rooms', { method: 'GET', headers: admin }))]);
    down.push(['admin room', await timed(() => invoke(`/admin/rooms/${TYPE}/${roomID}`, { method: 'GET', headers: admin }))]);
    down.push(['admin ban', await timed(() => invoke('/admin/bans', { method: 'POST', headers: admin, body: { userID: 'carol', seconds: 60 } }))]);
    down.push(['admin events', await timed(() => invoke('/admin/events', { method: 'GET', headers: admin }))]);
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => timed(() => bob.call(TYPE, 'get_pushers', { roomID }))));

    // Act 3: Redis returns on the same port and directory (AOF replayed); poll the service every 100 ms.
    const acceptingAt = await server.start();
    let recovered: Answer | undefined;
    let polls = 0;
    while (performance.now() - acceptingAt < 5000) {
      polls++;
      const answer = await bob.call(TYPE, 'get_pushers', { roomID });
      if (answer.body.code === 0) {
        recovered = answer;
        break;
      }
      await sleep(100);
    }
    const recoveryMs = Math.round(performance.now() - acceptingAt);

    // Assess
    figure(`in-flight heartbeats while stopping: codes ${inFlight.map((a) => a.body.code).join(',')}; max ${Math.max(...inFlight.map((a) => a.ms))} ms`);
    for (const [name, answer] of down) figure(`store down: ${name} -> HTTP ${answer.status} code ${answer.body.code} in ${answer.ms} ms`);
    figure(`store down: 10 concurrent get_pushers -> max ${Math.max(...concurrent.map((a) => a.ms))} ms`);
    figure(`recovery: code 0 ${recoveryMs} ms after redis-server accepted connections (${polls} polls)`);

    for (const answer of inFlight) {
      expect([0, 5003]).toContain(answer.body.code);
      expect(answer.status).toBe(answer.body.code === 0 ? 200 : 503);
      expect(answer.ms).toBeLessThan(1000);
      if (answer.body.code === 5003) expect(answer.body.message).toBe(STORE_DOWN_MESSAGE);
    }
    for (const [name, answer] of [...down, ...concurrent.map((a) => ['concurrent get_pushers', a] as const)]) {
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({ name, status: 503, code: 5003 });
      // The README promises under 1 s; the message is ours, no client library internals.
      expect(answer.ms, name).toBeLessThan(1000);
      expect(answer.body.message, name).toBe(STORE_DOWN_MESSAGE);
    }
    expect(recovered, 'service answered code 0 again').toBeDefined();
    expect(recoveryMs).toBeLessThan(2000);
    // Acknowledged before the stop: still there. Refused while down: not there.
    expect(pusherIds(recovered!)).toEqual(['alice', 'bob']);
    expect(JSON.parse(recovered!.body.custom as string)).toEqual({ likes: 1 });
    expect((await alice.call(TYPE, 'pusher_heartbeat', { roomID })).body.code).toBe(0);
    expect((await bob.call(TYPE, 'get_room_list', { index: 0, cnt: 10 })).body.rooms).toHaveLength(1);
    expect(fake.groups.has('newborn')).toBe(false); // its store check failed before any IM call
  }, 30_000);

  it('a hung Redis: the inc answers 503, lands later, and its retry with the same opID counts once', async () => {
    const TYPE = 'live_room';
    const alice = await signIn('alice');
    const roomID = 'hung';
    expect((await join(alice, TYPE, roomID)).body.code).toBe(0);
    const inc = (opID?: string) => alice.call(TYPE, 'set_custom_field', { roomID, fieldName: 'likes', operation: 'inc', ...(opID ? { opID } : {}) });
    expect((await inc('op-1')).body).toMatchObject({ code: 0, custom: '{"likes":1}' });

    server.pause();
    let stalled: Answer & { ms: number };
    try {
      stalled = await timed(() => inc('op-2'));
    } finally {
      server.resume();
    }
    await sleep(200); // the queued script runs once the server resumes
    const retry = await inc('op-2');
    const again = await inc('op-2');
    const info = await alice.call(TYPE, 'get_custom_info', { roomID });
    figure(`hung Redis: set_custom_field inc -> HTTP ${stalled.status} code ${stalled.body.code} in ${stalled.ms} ms; retry with the same opID -> ${retry.body.custom}; counter ${info.body.custom}`);

    expect([stalled.status, stalled.body.code]).toEqual([503, 5003]);
    expect(stalled.body.message).toBe(STORE_DOWN_MESSAGE);
    expect(retry.body).toMatchObject({ code: 0, custom: '{"likes":2}' });
    expect(again.body).toMatchObject({ code: 0, custom: '{"likes":2}' });
    expect(JSON.parse(info.body.custom as string)).toEqual({ likes: 2 });
    expect((await inc('op-3')).body).toMatchObject({ code: 0, custom: '{"likes":3}' }); // a new opID counts
  }, 30_000);

  // Known gap (see the report): create_room makes the IM group, then Redis is
  // lost before the room script runs (an outage, or an SCF timeout/crash at
  // that point): 503, the group exists, and no record of it was ever written.
  // Flip to `it` once the cleanup is recorded before create_group is called.
  it('leaves no IM group behind when Redis goes away between create_group and the room script', async () => {
    const alice = await signIn('alice');
    fake.failNext('create_group', 1, { delayMs: 400 }); // answered in time (IM_TIMEOUT_MS 500), but slowly
    const answer = timed(() => alice.call('multi_room', 'create_room', { roomID: 'orphan', roomInfo: 'x' }));
    await sleep(150);
    await server.stop();
    expect((await answer).body.code).toBe(5003);
    expect(fake.groups.has('orphan')).toBe(true);

    await server.start();
    const deadline = performance.now() + 5000;
    while ((await alice.call('multi_room', 'get_push_url')).body.code !== 0 && performance.now() < deadline) await sleep(100);
    for (const p of allPartitions()) {
      const outbox = roomKeys(rt!.config.keyPrefix, 'multi_room', '-', p).outbox;
      for (const entry of await rt!.redis.zrange(outbox, 0, -1)) await rt!.redis.zadd(outbox, Date.now() - 1, entry);
    }
    await sweep(rt!);
    expect(fake.groups.has('orphan')).toBe(false);
  }, 30_000);
});

// ---------------------------------------------------------------------------

let h: Harness;

/** What is left of `roomId`: its per-room keys, and its entries in the partition's list and deadline index. */
async function roomTraces(type: RoomType, roomId: string): Promise<string[]> {
  const k = roomKeys(h.prefix, type, roomId);
  // EXISTS per key (routed by slot), not a key listing: it is exact on a cluster too.
  const traces: string[] = [];
  for (const key of [k.room, k.pushers, k.beats, k.custom, k.audience]) if ((await h.rt.redis.exists(key)) === 1) traces.push(key);
  if ((await h.rt.redis.zscore(k.list, roomId)) !== null) traces.push('list entry');
  if ((await h.rt.redis.zscore(k.due, roomId)) !== null) traces.push('due entry');
  return traces;
}

const imCalls = (command: string, groupId: string) => h.fake.calls.filter((c) => c.command === command && (c.body as { GroupId?: string } | undefined)?.GroupId === groupId).length;
const notificationsFor = (roomId: string) => h.fake.notifications.filter((n) => n.groupId === roomId).length;

describe('faults with the shared store', () => {
  beforeAll(async () => {
    // One user opens 50 rooms below.
    h = await startHarness({ IM_MAX_ATTEMPTS: '3', ROOMS_PER_USER: '100' });
  });
  afterAll(async () => h?.close());
  beforeEach(async () => {
    await h.reconfigure({});
    await h.clean();
    h.fake.reset();
  });

  describe('IM failing, slow or rate-limited', () => {
    it('creates the room once create_group passes within IM_MAX_ATTEMPTS', async () => {
      const alice = await signIn('alice');
      h.fake.failNext('create_group', 2, { errorCode: 60007 });
      const answer = await alice.call('multi_room', 'create_room', { roomID: 'retried', roomInfo: 'x' });
      expect(answer.body).toMatchObject({ code: 0, roomID: 'retried' });
      expect(imCalls('create_group', 'retried')).toBe(3);
      expect(h.fake.groups.has('retried')).toBe(true);
      expect(await roomTraces('multi_room', 'retried')).toContain(roomKeys(h.prefix, 'multi_room', 'retried').room);
    });

    it('answers code 6 and leaves nothing behind when create_group keeps failing', async () => {
      const alice = await signIn('alice');
      h.fake.failNext('create_group', 5, { errorCode: 60007 });
      const answer = await alice.call('multi_room', 'create_room', { roomID: 'refused', roomInfo: 'x' });
      expect(answer.body.code).toBe(6);
      expect(imCalls('create_group', 'refused')).toBe(3);
      expect(h.fake.groups.has('refused')).toBe(false);
      expect(await roomTraces('multi_room', 'refused')).toEqual([]);
      // add_pusher creates rooms too, through the same rule.
      h.fake.reset();
      h.fake.failNext('create_group', 5, { errorCode: 60007 });
      expect((await join(alice, 'multi_room', 'refused')).body.code).toBe(6);
      expect(h.fake.groups.has('refused')).toBe(false);
      expect(await roomTraces('multi_room', 'refused')).toEqual([]);
    });

    it('answers code 6 within a bounded time when IM stalls past IM_TIMEOUT_MS', async () => {
      const alice = await signIn('alice');
      const { timeoutMs, maxAttempts } = h.rt.config.im;
      const stallMs = timeoutMs + 300;
      h.fake.failNext('create_group', maxAttempts, { delayMs: stallMs });
      const answer = await timed(() => alice.call('multi_room', 'create_room', { roomID: 'stalled', roomInfo: 'x' }));
      // Each attempt is cut at IM_TIMEOUT_MS; the backoffs between them stay under 100 + 200 ms.
      const bound = maxAttempts * timeoutMs + 300 + 500;
      figure(`slow IM: create_room -> code ${answer.body.code} in ${answer.ms} ms (${maxAttempts} x ${timeoutMs} ms timeout, bound ${bound} ms)`);
      expect(answer.body.code).toBe(6);
      expect(answer.ms).toBeLessThan(bound);
      expect(imCalls('create_group', 'stalled')).toBe(maxAttempts);
      expect(await roomTraces('multi_room', 'stalled')).toEqual([]);
      await sleep(stallMs + 100); // let the fake finish the stalled calls before the next test
    });

    /** Lets every outbox lease of `type` run out, then sweeps. */
    async function sweepAfterLeases(type: RoomType): Promise<void> {
      for (const p of allPartitions()) {
        const outbox = roomKeys(h.prefix, type, '-', p).outbox;
        for (const entry of await h.rt.redis.zrange(outbox, 0, -1)) await h.rt.redis.zadd(outbox, Date.now() - 1, entry);
      }
      await sweep(h.rt);
    }

    it('leaves no IM group behind when every create_group attempt timed out but one landed late', async () => {
      const alice = await signIn('alice');
      const { timeoutMs, maxAttempts } = h.rt.config.im;
      h.fake.failNext('create_group', maxAttempts, { delayMs: timeoutMs + 300 });
      expect((await alice.call('multi_room', 'create_room', { roomID: 'late', roomInfo: 'x' })).body.code).toBe(6);
      await sleep(timeoutMs + 400); // the stalled calls complete: the fake now holds the group
      expect(h.fake.groups.has('late')).toBe(true);
      await sweepAfterLeases('multi_room');
      expect(h.fake.groups.has('late')).toBe(false);
    });

    // Known gap (see the report): only a failure whose *last* attempt went
    // unanswered records the group cleanup. Here the first attempt times out
    // (and lands late: the group exists) and the retries are rate-limited, so
    // the group outlives the refused room. Flip to `it` once the cleanup is
    // recorded before create_group is called.
    it('leaves no IM group behind when a timed-out first attempt lands late and the retries are rate-limited', async () => {
      const alice = await signIn('alice');
      const { timeoutMs, maxAttempts } = h.rt.config.im;
      h.fake.failNext('create_group', 1, { delayMs: timeoutMs + 300 });
      h.fake.failNext('create_group', maxAttempts - 1, { errorCode: 60007 });
      expect((await alice.call('multi_room', 'create_room', { roomID: 'late2', roomInfo: 'x' })).body.code).toBe(6);
      await sleep(timeoutMs + 400);
      expect(h.fake.groups.has('late2')).toBe(true);
      await sweepAfterLeases('multi_room');
      expect(h.fake.groups.has('late2')).toBe(false);
    });

    // Known gap (see the report): add_pusher on a missing room runs joinRoom,
    // creates the IM group, then runs joinRoom again, and both runs count the
    // quota. With one request left in the window the second run answers 429
    // after the group was made, and nothing destroys it. Flip to `it` once the
    // creating run no longer counts the quota and the cleanup is recorded first.
    it('add_pusher counts the quota once, and a group exists only with its room', async () => {
      await h.reconfigure({ RATE_LIMIT_PER_USER: '1' });
      const alice = await signIn('alice');
      const answer = await join(alice, 'multi_room', 'edge');
      await sweepAfterLeases('multi_room');
      const roomExists = (await roomTraces('multi_room', 'edge')).includes(roomKeys(h.prefix, 'multi_room', 'edge').room);
      expect({ group: h.fake.groups.has('edge'), room: roomExists }).toEqual({ group: roomExists, room: roomExists });
      expect(answer.body.code).toBe(0);
    });

    it('keeps a failed destroy_group in the outbox and the sweeper destroys the group exactly once', async () => {
      const alice = await signIn('alice');
      expect((await join(alice, 'multi_room', 'leaky')).body.code).toBe(0);
      h.fake.failNext('destroy_group', h.rt.config.im.maxAttempts, { errorCode: 60007 });
      expect((await alice.call('multi_room', 'delete_pusher', { roomID: 'leaky' })).body.code).toBe(0);

      const outbox = roomKeys(h.prefix, 'multi_room', 'leaky').outbox;
      expect(await roomTraces('multi_room', 'leaky')).toEqual([]);
      expect(await h.rt.redis.zrange(outbox, 0, -1)).toEqual(['destroy|leaky']);
      expect(h.fake.groups.has('leaky')).toBe(true);
      const failedCalls = imCalls('destroy_group', 'leaky');

      await sweep(h.rt); // the lease still holds: nothing yet
      expect(imCalls('destroy_group', 'leaky')).toBe(failedCalls);

      await h.rt.redis.zadd(outbox, Date.now() - 1000, 'destroy|leaky'); // the lease ran out
      await sweep(h.rt);
      await sweep(h.rt);
      expect(imCalls('destroy_group', 'leaky')).toBe(failedCalls + 1);
      expect(h.fake.groups.has('leaky')).toBe(false);
      expect(await h.rt.redis.zcard(outbox)).toBe(0);
    });
  });

  describe('sweeper crashing mid-reap', () => {
    /**
     * The harness runtime with the room store on a clock the test moves, so
     * heartbeat deadlines pass without waiting (the store takes `now` for this).
     */
    function onClock(clock: { now: number }): Runtime {
      const rt: Runtime = { ...h.rt, rooms: new RoomStore(h.rt.redis, h.prefix, h.rt.config.rooms, h.rt.config.rateLimit, () => clock.now) };
      installRuntime(rt);
      return rt;
    }

    /** Alice and bob in `rooms`; alice beats 6 s later; the clock then stops 11 s in: bob (10 s timeout) is overdue, alice is not. */
    async function bobOverdueIn(clock: { now: number }, rooms: string[]): Promise<Client[]> {
      const [alice, bob] = await signInAll('alice', 'bob');
      for (const roomID of rooms) {
        expect((await join(bob, 'multi_room', roomID)).body.code).toBe(0);
        expect((await join(alice, 'multi_room', roomID)).body.code).toBe(0);
      }
      clock.now += 6000;
      for (const roomID of rooms) expect((await alice.call('multi_room', 'pusher_heartbeat', { roomID })).body.code).toBe(0);
      clock.now += 5000;
      return [alice, bob];
    }

    it('notifies exactly once when the sweeper died between reap and notification', async () => {
      await h.reconfigure({ HEARTBEAT_TIMEOUT: '10' });
      const clock = { now: Date.now() };
      const rt = onClock(clock);
      await bobOverdueIn(clock, ['crashed']);
      const keys = roomKeys(h.prefix, 'multi_room', 'crashed');
      const before = notificationsFor('crashed');

      // The reap alone, effects never performed: a sweeper that died right after its script.
      const reaped = await rt.rooms.reapDue('multi_room', 200, undefined, 0, 0, partitionOf('crashed'));
      expect(reaped.effects).toEqual([{ type: 'multi_room', roomId: 'crashed', effect: 'notify' }]);
      expect(await h.rt.redis.hkeys(keys.pushers)).toEqual(['alice']);
      expect(await h.rt.redis.zrange(keys.beats, 0, -1)).toEqual(['alice']);
      expect(await h.rt.redis.zrange(keys.outbox, 0, -1)).toEqual(['notify|crashed']);

      await sweep(rt); // the dead sweeper's lease still holds
      expect(notificationsFor('crashed')).toBe(before);

      await h.rt.redis.zadd(keys.outbox, clock.now - 1, 'notify|crashed'); // its lease ran out
      await sweep(rt);
      expect(notificationsFor('crashed')).toBe(before + 1);
      await sweep(rt);
      expect(notificationsFor('crashed')).toBe(before + 1);
      expect(await h.rt.redis.zcard(keys.outbox)).toBe(0);
      expect(await h.rt.redis.hkeys(keys.pushers)).toEqual(['alice']);
    });

    it('notifies each of 50 due rooms exactly once under 3 concurrent sweeps', async () => {
      // Small batches so the three runs interleave over several reaps each. A
      // notify that outlives the 500 ms IM timeout on a busy machine is retried,
      // and the fake then counts it twice: the timeout is not what this test is about.
      await h.reconfigure({ HEARTBEAT_TIMEOUT: '10', SWEEP_BATCH: '7', IM_TIMEOUT_MS: '5000' });
      const clock = { now: Date.now() };
      const rt = onClock(clock);
      const rooms = Array.from({ length: 50 }, (_, i) => `due${i}`);
      await bobOverdueIn(clock, rooms);
      const before = new Map(rooms.map((r) => [r, notificationsFor(r)]));

      const started = performance.now();
      const reports = await Promise.all([sweep(rt), sweep(rt), sweep(rt)]);
      figure(`3 concurrent sweeps over 50 due rooms: ${Math.round(performance.now() - started)} ms, effects per run ${reports.map((r) => r.effects).join('/')}`);
      await sweep(rt);

      expect(reports.reduce((sum, r) => sum + r.effects, 0)).toBe(50);
      for (const roomID of rooms) {
        expect({ roomID, notified: notificationsFor(roomID) - before.get(roomID)! }).toEqual({ roomID, notified: 1 });
        expect(await h.rt.redis.hkeys(roomKeys(h.prefix, 'multi_room', roomID).pushers)).toEqual(['alice']);
      }
      for (const p of allPartitions()) expect(await h.rt.redis.zcard(roomKeys(h.prefix, 'multi_room', '-', p).outbox)).toBe(0);
    });
  });
});
