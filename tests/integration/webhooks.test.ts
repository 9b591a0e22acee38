/**
 * Webhooks from the event log, against a loopback receiver (a node http
 * server in this file) that checks every signature with docs/events-and-webhooks.md's
 * verification example: delivery right after a request, in order, once; a
 * receiver that fails and recovers; backoff, dead letters and re-drive; two
 * deliverers at once; a deliverer that dies or stalls holding the lease.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readEvents, type RoomEvent } from '../../shared/events/log';
import { SCRIPTS } from '../../shared/events/lua.generated';
import { deliverWebhooks, listDeadLetters, receiverId, redriveDeadLetters, signatureHeader, SIGNATURE_HEADER, webhookStatus } from '../../shared/events/webhooks';
import { allPartitions, deadLetterKeys, eventCountKey, eventLogKey, eventReceiversKey, partitionOf, roomPartitions, webhookKey } from '../../shared/rooms/keys';
import { sweep } from '../../shared/rooms/sweeper';
import { startGateway } from '../../scripts/gateway';
import { main_handler as sweeper } from '../../functions/sweeper';
import { installRuntime } from '../../shared/runtime';
import { CLOUD, deleteByPrefix, pushUrlFor, signInAll, sleep, startHarness, STORE, testEnv, userSigFor, type Client, type Harness } from '../support/harness';
import { markedBlock } from '../support/docs';

const SECRET = 'whsec-test-0123456789abcdef';

/** The verification example of docs/events-and-webhooks.md, run as it is written there. */
type Verify = (secret: string, header: string, rawBody: string, toleranceSeconds?: number) => boolean;
function documentedVerifier(): Verify {
  const block = markedBlock('docs/events-and-webhooks.md', 'webhook-verify', 'js');
  return new Function('require', `${block}\nreturn verifyRoomServiceSignature;`)(require) as Verify;
}
const verify = documentedVerifier();

/** What the receiver does with the next POSTs: answer 200, fail with a status, or hang past the timeout. */
type Mode = { kind: 'ok' } | { kind: 'fail'; status: number } | { kind: 'hang' };

interface Receiver {
  url: string;
  /** Every POST that arrived with a good signature, in arrival order. */
  batches: RoomEvent[][];
  /** POSTs whose signature did not verify. */
  forged: number;
  mode: Mode;
  /** Answers the next `n` POSTs with 503, then goes back to its mode. */
  failNext: number;
  /** Answers this much later. */
  delayMs: number;
  /** Runs on each good batch before the receiver answers (a backend reading the service back). */
  onBatch?: (events: RoomEvent[]) => Promise<void>;
  /** When the last POST arrived (ms), to let a previous test's deliveries finish before the next test. */
  lastPostAt: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', batches: [], forged: 0, mode: { kind: 'ok' }, failNext: 0, delayMs: 0, lastPostAt: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    receiver.lastPostAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (receiver.delayMs > 0) await sleep(receiver.delayMs);
      const raw = Buffer.concat(chunks).toString('utf8');
      if (receiver.mode.kind === 'hang') return; // never answers: the sender's timeout
      if (receiver.failNext > 0) {
        receiver.failNext--;
        res.writeHead(503).end();
        return;
      }
      if (receiver.mode.kind === 'fail') {
        res.writeHead(receiver.mode.status).end();
        return;
      }
      if (!verify(SECRET, String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''), raw)) {
        receiver.forged++;
        res.writeHead(400).end();
        return;
      }
      const events = (JSON.parse(raw) as { events: RoomEvent[] }).events;
      receiver.batches.push(events);
      await receiver.onBatch?.(events);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/room?token=abc`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

let h: Harness;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
  await rx.close();
});

const webhookEnv = (extra: Record<string, string> = {}) => ({ WEBHOOK_URL: rx.url, WEBHOOK_SECRET: SECRET, WEBHOOK_RETRY_BASE_MS: '20', WEBHOOK_TIMEOUT_MS: '300', ...extra });
beforeEach(async () => {
  // A kick of the previous test may still be posting (its requests' deliveries run
  // after their answers): let the receiver go quiet so it cannot land in this test.
  while (Date.now() - rx.lastPostAt < 200) await sleep(50);
  await h.reconfigure(webhookEnv());
  await h.clean();
  rx.batches = [];
  rx.forged = 0;
  rx.mode = { kind: 'ok' };
  rx.failNext = 0;
  rx.delayMs = 0;
  rx.onBatch = undefined;
});

/** The partition of room m1 (ROOM_PARTITIONS): its events, and their delivery state, live there. */
const M1 = partitionOf('m1');
const received = () => rx.batches.flat();
const logged = async () => (await readEvents(h.rt, { limit: 1000 })).events;
const join = (c: Client, roomID: string) => c.call('multi_room', 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
/** Runs delivery (as the sweeper does) until nothing is pending or backing off. */
async function drain(rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await deliverWebhooks(h.rt);
    // Every partition's cursor (ROOM_PARTITIONS: one per partition) at its log's last position.
    let drained = (await logged()).length > 0;
    for (const p of allPartitions()) {
      const state = await h.rt.redis.hgetall(webhookKey(h.prefix, receiverId(rx.url), p));
      const top = (await h.rt.redis.zrange(eventLogKey(h.prefix, p), -1, -1, 'WITHSCORES'))[1];
      if (state.nextAt || (top !== undefined && state.cursor !== top)) drained = false;
    }
    if (drained) return;
    await sleep(25);
  }
  throw new Error('delivery did not drain');
}

describe('delivery', () => {
  it('follows each change without a sweep, signed (t, v1), in log order, each event once', async () => {
    const [a, b] = await signInAll('a1', 'b1');
    await join(a, 'm1');
    await join(b, 'm1');
    await b.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    await a.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    const events = await logged();
    await until('the kicks to deliver', () => received().length >= events.length);
    expect(received()).toEqual(events);
    expect(rx.forged).toBe(0);
    // The receiver can have the last batch before the inline loop has settled it: a sweep now would
    // join that loop and report its batch. Wait for the loop (joining it sends nothing new) first.
    await deliverWebhooks(h.rt);
    // Nothing left for the sweeper, and nobody sent anything twice.
    expect((await sweep(h.rt)).webhooks).toEqual({ delivered: 0, failed: 0, parked: 0 });
    expect(received()).toEqual(events);
  });

  it('the sweeper function delivers what no kick did (a function frozen or killed after answering)', async () => {
    const [a] = await signInAll('a1');
    h.rt.rooms.onEvents = undefined; // as if the request's kick never ran
    await join(a, 'm1');
    await sleep(50);
    expect(received()).toEqual([]);
    const outcome = await sweeper({ Type: 'Timer', TriggerName: 'sweeper' });
    expect(outcome).toMatchObject({ code: 0, webhooks: { delivered: 3, failed: 0, parked: 0 }, events: 3 });
    expect(received()).toEqual(await logged());
  });

  it('a read made on receiving an event already shows its change (the event commits with it)', async () => {
    const [a, b, reader] = await signInAll('a1', 'b1', 'r1');
    const seen: string[] = [];
    rx.onBatch = async (events) => {
      for (const e of events.filter((ev) => ev.type === 'pusher_joined' || ev.type === 'pusher_left')) {
        const pushers = await reader.call('multi_room', 'get_pushers', { roomID: e.roomID });
        const ids = ((pushers.body.pushers ?? []) as { userID: string }[]).map((p) => p.userID);
        seen.push(`${e.type} ${e.userID} ${ids.includes(e.userID!) ? 'seated' : 'not seated'}`);
      }
    };
    await join(a, 'm1');
    await until('a1 joined', () => seen.length === 1);
    await join(b, 'm1');
    await until('b1 joined', () => seen.length === 2);
    await b.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    await until('b1 left', () => seen.length === 3);
    expect(seen).toEqual(['pusher_joined a1 seated', 'pusher_joined b1 seated', 'pusher_left b1 not seated']);
  });

  it('the signature: HMAC-SHA256 of "t.body" with WEBHOOK_SECRET; the documented verifier refuses a wrong secret, body or old t', () => {
    const body = '{"events":[]}';
    const t = Math.floor(Date.now() / 1000);
    const header = signatureHeader(SECRET, body, t);
    expect(header).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(verify(SECRET, header, body)).toBe(true);
    expect(verify('another-secret-0123456789', header, body)).toBe(false);
    expect(verify(SECRET, header, body.replace('[]', '[1]'))).toBe(false);
    expect(verify(SECRET, signatureHeader(SECRET, body, t - 3600), body)).toBe(false);
    expect(verify(SECRET, 'garbage', body)).toBe(false);
  });

  it('a heartbeat kicks no delivery (it appends nothing); a state change does', async () => {
    const [a] = await signInAll('a1');
    let kicks = 0;
    const kick = h.rt.rooms.onEvents!;
    h.rt.rooms.onEvents = (partition) => {
      kicks++;
      kick(partition);
    };
    await join(a, 'm1');
    expect(kicks).toBe(1);
    for (let i = 0; i < 5; i++) expect((await a.call('multi_room', 'pusher_heartbeat', { roomID: 'm1' })).body.code).toBe(0);
    await a.call('multi_room', 'get_pushers', { roomID: 'm1' });
    expect(kicks).toBe(1);
  });

  it('a receiver that fails, then recovers, gets every event exactly once and in order (per room seq 1..n)', async () => {
    const users = await signInAll('a1', 'b1', 'c1', 'd1');
    rx.mode = { kind: 'fail', status: 500 };
    for (const [i, u] of users.entries()) await join(u, `r${i % 2}`);
    for (const u of users) await u.call('multi_room', 'delete_pusher', { roomID: `r${users.indexOf(u) % 2}` });
    await sleep(50);
    await deliverWebhooks(h.rt);
    expect(received()).toEqual([]);
    const state = await h.rt.redis.hgetall(webhookKey(h.prefix, receiverId(rx.url), partitionOf('r0')));
    expect(Number(state.attempts)).toBeGreaterThanOrEqual(1);
    expect(state.lastError).toBe('HTTP 500');
    const status = (await webhookStatus(h.rt)).receivers[0]!;
    expect(status).toMatchObject({ pending: (await logged()).length, lastError: 'HTTP 500', leasedUntil: null });
    expect(status.attempts).toBeGreaterThanOrEqual(1);
    rx.mode = { kind: 'ok' };
    await drain();
    const events = await logged();
    // Each partition's log is delivered on its own: one log order with one partition, per room order always.
    const byId = (list: { id: string }[]) => (roomPartitions() === 1 ? list : [...list].sort((x, y) => (x.id < y.id ? -1 : 1)));
    expect(byId(received())).toEqual(byId(events));
    for (const room of ['r0', 'r1']) {
      const seqs = received().filter((e) => e.roomID === room).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(await listDeadLetters(h.rt)).toEqual([]);
  });

  it('backs off between attempts: no attempt before nextAt, the wait doubling', async () => {
    await h.reconfigure(webhookEnv({ WEBHOOK_RETRY_BASE_MS: '400' }));
    const [a] = await signInAll('a1');
    rx.mode = { kind: 'fail', status: 503 };
    await join(a, 'm1');
    await until('a first failed attempt', async () => (await h.rt.redis.hget(webhookKey(h.prefix, receiverId(rx.url), M1), 'attempts')) === '1');
    const key = webhookKey(h.prefix, receiverId(rx.url), M1);
    const first = Number(await h.rt.redis.hget(key, 'nextAt'));
    expect(first - Date.now()).toBeGreaterThan(150);
    expect((await deliverWebhooks(h.rt)).failed).toBe(0); // too early: no attempt
    await sleep(first - Date.now() + 10);
    expect((await deliverWebhooks(h.rt)).failed).toBe(1);
    const second = Number(await h.rt.redis.hget(key, 'nextAt'));
    expect(second - Date.now()).toBeGreaterThan(500); // 800 ms after the second failure (the first waited 400)
  });
});

describe('dead letters', () => {
  it('parks a batch after WEBHOOK_MAX_ATTEMPTS, goes on with the next, lists it, and re-drives it once the receiver is back', async () => {
    await h.reconfigure(webhookEnv({ WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_BASE_MS: '5' }));
    const [a, b] = await signInAll('a1', 'b1');
    rx.mode = { kind: 'fail', status: 502 };
    await join(a, 'm1');
    await sleep(30);
    const parkedEvents = await logged();
    await drain();
    const letters = await listDeadLetters(h.rt);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ url: rx.url.replace(/\?.*$/, ''), attempts: 3, lastError: 'HTTP 502', events: parkedEvents });
    expect(JSON.stringify(letters)).not.toContain('token=abc');
    expect(letters[0]!.parkedAt).toBeGreaterThan(Date.now() - 10_000);

    // Delivery goes on after the parked batch: new events arrive once the receiver is back.
    rx.mode = { kind: 'ok' };
    await join(b, 'm2');
    await drain();
    expect(received()).toEqual((await logged()).filter((e) => e.roomID === 'm2'));

    expect(await webhookStatus(h.rt)).toEqual({
      receivers: [{ url: rx.url.replace(/\?.*$/, ''), pending: 0, attempts: 0, lastError: null, retryAt: null, leasedUntil: null }],
      deadLetters: 1,
      // A parked batch is not a loss: its events are in the dead letter.
      eventsLost: { count: 0, last: null },
    });

    // A re-drive while the receiver fails keeps the letter, with one more attempt.
    rx.mode = { kind: 'fail', status: 500 };
    expect(await redriveDeadLetters(h.rt)).toEqual({ redriven: 0, failed: 1 });
    expect(await listDeadLetters(h.rt)).toMatchObject([{ id: letters[0]!.id, attempts: 4, lastError: 'HTTP 500' }]);
    // Then it goes through, once.
    rx.mode = { kind: 'ok' };
    rx.batches = [];
    expect(await redriveDeadLetters(h.rt, { id: letters[0]!.id })).toEqual({ redriven: 1, failed: 0 });
    expect(received()).toEqual(parkedEvents);
    expect(await listDeadLetters(h.rt)).toEqual([]);
    expect(await redriveDeadLetters(h.rt, { id: letters[0]!.id })).toEqual({ redriven: 0, failed: 0 });
  });

  it('a receiver that times out counts as failed; a letter whose URL left WEBHOOK_URL fails its re-drive with that reason', async () => {
    await h.reconfigure(webhookEnv({ WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_TIMEOUT_MS: '100' }));
    const [a] = await signInAll('a1');
    rx.mode = { kind: 'hang' };
    await join(a, 'm1');
    await until('the batch to be parked', async () => (await listDeadLetters(h.rt)).length === 1);
    expect((await listDeadLetters(h.rt))[0]!.lastError).toMatch(/ECONNABORTED|timeout/i);
    rx.mode = { kind: 'ok' };
    const other = await startReceiver();
    try {
      await h.reconfigure({ ...webhookEnv(), WEBHOOK_URL: other.url });
      expect(await redriveDeadLetters(h.rt)).toEqual({ redriven: 0, failed: 1 });
      expect((await listDeadLetters(h.rt))[0]!.lastError).toMatch(/no longer in WEBHOOK_URL/);
    } finally {
      await other.close();
    }
  });
});

describe('leases', () => {
  it('two deliverers at once (two containers) send each event once', async () => {
    const [a, b, c] = await signInAll('a1', 'b1', 'c1');
    // Take the kicks away, so the two deliverers below find everything pending.
    h.rt.rooms.onEvents = undefined;
    for (const u of [a, b, c]) await join(u, 'm1');
    for (const u of [a, b, c]) await u.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    // A second container: its own runtime (and delivery loops) on the same store.
    const other = { ...h.rt };
    rx.delayMs = 100; // both try while the first POST is in flight
    await Promise.all([deliverWebhooks(h.rt), deliverWebhooks(other), deliverWebhooks(h.rt), deliverWebhooks(other)]);
    await drain();
    expect(received()).toEqual(await logged());
  });

  it('a deliverer that died holding the lease: nothing is sent until the lease runs out, then the batch goes once', async () => {
    const [a] = await signInAll('a1');
    h.rt.rooms.onEvents = undefined;
    await join(a, 'm1');
    const key = webhookKey(h.prefix, receiverId(rx.url), M1);
    // The dead deliverer's claim, as claimWebhook makes it.
    const id = receiverId(rx.url);
    const claim = (await h.rt.redis.eval(SCRIPTS.claimWebhook.lua, 3, key, eventLogKey(h.prefix, M1), eventReceiversKey(h.prefix, M1), Date.now(), 'dead-token', Date.now() + 60_000, 100, id, id)) as unknown[];
    expect(claim[0]).toBe('OK');
    expect(await deliverWebhooks(h.rt)).toEqual({ delivered: 0, failed: 0, parked: 0 });
    expect(received()).toEqual([]);
    await h.rt.redis.hset(key, 'leaseUntil', String(Date.now() - 1)); // the lease runs out
    await drain();
    expect(received()).toEqual(await logged());
  });

  it('a deliverer frozen mid-POST whose lease was taken over records nothing when it resumes (the receiver may see that batch twice)', async () => {
    const [a] = await signInAll('a1');
    h.rt.rooms.onEvents = undefined;
    await join(a, 'm1');
    const key = webhookKey(h.prefix, receiverId(rx.url), M1);
    const id = receiverId(rx.url);
    const claim = (await h.rt.redis.eval(SCRIPTS.claimWebhook.lua, 3, key, eventLogKey(h.prefix, M1), eventReceiversKey(h.prefix, M1), Date.now(), 'frozen-token', Date.now() + 60_000, 100, id, id)) as unknown[];
    await h.rt.redis.hset(key, 'leaseUntil', String(Date.now() - 1));
    await drain(); // another container delivers
    const cursor = await h.rt.redis.hget(key, 'cursor');
    expect(received()).toEqual(await logged());
    // The frozen one wakes up and settles its (old) batch.
    const dead = deadLetterKeys(h.prefix, M1);
    const settle = (await h.rt.redis.eval(SCRIPTS.settleWebhook.lua, 5, key, eventLogKey(h.prefix, M1), dead.index, dead.bodies, eventReceiversKey(h.prefix, M1), 'frozen-token', 'ok', '1', 3, Date.now(), '', '', '', 100, Date.now() + 60_000, 10, id)) as unknown[];
    expect(settle[0]).toBe('LOST');
    expect(await h.rt.redis.hget(key, 'cursor')).toBe(cursor);
    expect((claim[3] as string[]).length).toBe(3);
  });
});

describe('several receivers', () => {
  it('each URL has its own cursor: one failing does not hold the other back', async () => {
    const other = await startReceiver();
    try {
      await h.reconfigure(webhookEnv({ WEBHOOK_URL: `${rx.url},${other.url}` }));
      rx.mode = { kind: 'fail', status: 500 };
      const [a] = await signInAll('a1');
      await join(a, 'm1');
      await until('the healthy receiver', () => other.batches.flat().length === 3);
      expect(received()).toEqual([]);
      rx.mode = { kind: 'ok' };
      await drain();
      expect(received()).toEqual(other.batches.flat());
    } finally {
      await other.close();
    }
  });
});

describe('configuration', () => {
  it('check_config names the receivers without their query; WEBHOOK_URL needs WEBHOOK_SECRET; bad lists are named by entry, never echoed', async () => {
    const { checkConfiguration } = await import('../../shared/diagnostics');
    const report = await checkConfiguration(h.rt);
    expect(report.settings.WEBHOOK_URL).toEqual({ ok: true, detail: rx.url.replace(/\?.*$/, '') });
    expect(JSON.stringify(report)).not.toContain('token=abc');
    await h.reconfigure(webhookEnv({ WEBHOOK_URL: 'http://hooks.example.com/x?k=1' }));
    expect((await checkConfiguration(h.rt)).warnings.join(' ')).toMatch(/plain http to http:\/\/hooks\.example\.com\/x: use https/);
    await expect(h.reconfigure({ WEBHOOK_URL: rx.url, WEBHOOK_SECRET: '' })).rejects.toThrow(/WEBHOOK_SECRET is required when WEBHOOK_URL is set/);
    await expect(h.reconfigure(webhookEnv({ WEBHOOK_URL: `${rx.url},ftp://secret@x/y` }))).rejects.toThrow(/WEBHOOK_URL entry 2 is not an http\(s\) URL/);
    await expect(h.reconfigure(webhookEnv({ WEBHOOK_URL: `${rx.url},ftp://secret@x/y` }))).rejects.not.toThrow(/secret@/);
    await expect(h.reconfigure(webhookEnv({ WEBHOOK_SECRET: 'short' }))).rejects.toThrow(/WEBHOOK_SECRET must be 16-256/);
  });
});

describe('a log that started over', () => {
  it('(its keys lost while the receiver state was not) is delivered from its start, not skipped up to the old cursor', async () => {
    const [a] = await signInAll('a1');
    await join(a, 'm1');
    await until('the first events', () => received().length === 3);
    const key = webhookKey(h.prefix, receiverId(rx.url));
    await h.rt.redis.hset(key, 'cursor', '1000');
    await h.rt.redis.del(eventLogKey(h.prefix), eventCountKey(h.prefix));
    rx.batches = [];
    await a.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    await until('the new log', () => received().length === 2);
    expect(received().map((e) => e.type)).toEqual(['pusher_left', 'room_finished']);
  });
});

describe('the local gateway (npm start)', () => {
  it('delivers after its requests, and its sweeper timer retries what a failed kick left', async () => {
    const prefix = `test-gwh-${Math.random().toString(16).slice(2, 8)}`;
    const env = testEnv(h.fake, prefix, webhookEnv({ WEBHOOK_RETRY_BASE_MS: '10' }));
    if (STORE === 'embedded') delete env.REDIS_URL; // the gateway's own embedded store
    const gw = await startGateway({ env, port: 0, sweepIntervalMs: 100, quiet: true });
    try {
      const post = async (path: string, query: Record<string, string>, body: Record<string, unknown>) =>
        (await (await fetch(`${gw.url}/weapp/${path}?${new URLSearchParams(query)}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json()) as Record<string, unknown>;
      const login = await post('multi_room/login', { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: 'gw1', userSig: userSigFor('gw1') }, {});
      const session = { userID: 'gw1', token: String(login.token) };
      rx.failNext = 1; // the request's own kick fails: the sweeper timer must carry it
      const joined = await post('multi_room/add_pusher', session, { userID: 'gw1', roomID: 'g1', userName: 'g', userAvatar: '', pushURL: pushUrlFor('gw1') });
      expect(joined.code).toBe(0);
      await until('the gateway to deliver', () => received().length === 3);
      expect(received().map((e) => `${e.roomID} ${e.seq} ${e.type}`)).toEqual(['g1 1 room_created', 'g1 2 room_started', 'g1 3 pusher_joined']);
      expect(rx.failNext).toBe(0);
    } finally {
      if (STORE === 'redis') await deleteByPrefix(gw.runtime, prefix);
      await gw.close();
      installRuntime(h.rt);
    }
  });
});
