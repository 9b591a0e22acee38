/**
 * Webhook delivery under load, and the event log's memory.
 *
 * Virtual users each walk their own live room through the handlers (add_pusher,
 * set_custom_field, add_audience, delete_audience, delete_pusher: 8 events per
 * 5 requests) for a fixed time, with no webhook and with a loopback
 * receiver in this process (a node http server that checks every signature,
 * as a real receiver would; its CPU is this process's too, so the on/off
 * ratio overstates what delivery costs a function whose receiver is elsewhere),
 * in alternating windows. Measured: events/s the receiver got while the
 * load ran, lag from each event's time to its receipt (p50/p99/max), events
 * delivered twice, the state-changing request rate with webhooks on / off,
 * and MEMORY USAGE of the log key per 1,000 events.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RoomEvent } from '../../shared/events/log';
import { SIGNATURE_HEADER } from '../../shared/events/webhooks';
import { eventLogKey } from '../../shared/rooms/keys';
import { adminClient, Bed, type User } from '../lib/bed';
import { median, percentile, round, sleep } from '../lib/stats';

const SECRET = 'bench-webhook-secret-0123456789';

export interface WebhookResult {
  users: number;
  seconds: number;
  /** State-changing requests per second without webhooks, and with them (medians of the windows). */
  requestsPerSecondOff: number;
  requestsPerSecondOn: number;
  /** Median of on / off over alternating window pairs, and each pair's. */
  ratio: number;
  ratios: number[];
  appended: number;
  delivered: number;
  duplicates: number;
  /** Events the receiver got per second while the load ran (events/s). */
  deliveredPerSecond: number;
  posts: number;
  lagMs: { p50: number; p99: number; max: number };
  /** How long after the load stopped the last event arrived. */
  drainMs: number;
  log: { events: number; bytes: number; bytesPer1000Events: number };
}

interface Receiver {
  url: string;
  arrivals: { id: string; lagMs: number; at: number }[];
  posts: number;
  forged: number;
  close(): Promise<void>;
}

function verify(header: string, raw: string): boolean {
  const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2)));
  const expected = createHmac('sha256', SECRET).update(`${fields.t}.${raw}`).digest();
  const given = Buffer.from(String(fields.v1), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', arrivals: [], posts: 0, forged: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      receiver.posts++;
      if (!verify(String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? ''), raw)) receiver.forged++;
      for (const e of (JSON.parse(raw) as { events: RoomEvent[] }).events) receiver.arrivals.push({ id: e.id, lagMs: at - e.time, at });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/roomservice-events`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

/** `users` loops, each walking its own live room until `seconds` pass; answers requests/s. */
async function load(bed: Bed, users: User[], seconds: number, tag: string): Promise<number> {
  let requests = 0;
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    users.map(async (user, i) => {
      const roomID = `wh_${tag}_${i}`;
      for (let round = 0; performance.now() < deadline; round++) {
        await bed.join(user, 'live_room', roomID);
        await bed.call(user, 'live_room', 'set_custom_field', { roomID, fieldName: 'likes', operation: 'inc' });
        await bed.call(user, 'live_room', 'add_audience', { roomID, userInfo: '{"nick":"v"}' });
        await bed.call(user, 'live_room', 'delete_audience', { roomID });
        await bed.call(user, 'live_room', 'delete_pusher', { roomID });
        requests += 5;
      }
    }),
  );
  return requests / seconds;
}

export async function runWebhooks(settings: { users: number; seconds: number }): Promise<WebhookResult> {
  const admin = adminClient();
  // Without webhooks first (the same walk, its own bed), for the request rate's baseline.
  const off = await Bed.open('wh-off');
  const receiver = await startReceiver();
  const on = await Bed.open('wh-on', { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET });
  try {
    const offUsers: User[] = [];
    const onUsers: User[] = [];
    for (let i = 0; i < settings.users; i++) offUsers.push(await off.use().signIn(`wh_off_${i}`, 'live_room'));
    for (let i = 0; i < settings.users; i++) onUsers.push(await on.use().signIn(`wh_on_${i}`, 'live_room'));
    off.use();
    // Warm-up (not measured): the first walk pays the JIT and the connections' start for both runs.
    await load(off, offUsers, Math.min(3, settings.seconds / 2), 'warm');
    // Off and on alternate in short windows, so a neighbour's load on this
    // shared machine hits both alike; the ratio is the median of the pairs'.
    const pairs = 3;
    const windowSeconds = settings.seconds / pairs;
    const offRates: number[] = [];
    const onRates: number[] = [];
    const onWindows: [number, number][] = [];
    for (let i = 0; i < pairs; i++) {
      off.use();
      offRates.push(await load(off, offUsers, windowSeconds, `off${i}`));
      on.use();
      const started = Date.now();
      onRates.push(await load(on, onUsers, windowSeconds, `on${i}`));
      onWindows.push([started, Date.now()]);
    }
    const loadEnded = onWindows[pairs - 1]![1];
    const logKey = eventLogKey(on.prefix);
    const appended = await admin.zcard(logKey);
    // The sweeper's part: whatever the kicks left (none, normally), then wait for the receiver.
    const drainDeadline = Date.now() + 30_000;
    while (new Set(receiver.arrivals.map((a) => a.id)).size < appended && Date.now() < drainDeadline) await sleep(20);
    const unique = new Set(receiver.arrivals.map((a) => a.id));
    const lags = receiver.arrivals.map((a) => a.lagMs);
    const duringLoad = receiver.arrivals.filter((a) => onWindows.some(([from, to]) => a.at >= from && a.at <= to)).length;
    const onMs = onWindows.reduce((sum, [from, to]) => sum + (to - from), 0);
    const logBytes = Number(await admin.memory('USAGE', logKey, 'SAMPLES', 0));
    if (receiver.forged > 0) throw new Error(`${receiver.forged} webhook POSTs failed the signature check`);
    if (unique.size < appended) throw new Error(`only ${unique.size} of ${appended} events arrived within 30 s of the load's end`);
    return {
      users: settings.users,
      seconds: settings.seconds,
      requestsPerSecondOff: round(median(offRates), 0),
      requestsPerSecondOn: round(median(onRates), 0),
      ratio: round(median(onRates.map((on, i) => on / offRates[i]!)), 3),
      ratios: onRates.map((on, i) => round(on / offRates[i]!, 3)),
      appended,
      delivered: unique.size,
      duplicates: receiver.arrivals.length - unique.size,
      deliveredPerSecond: round(duringLoad / (onMs / 1000), 0),
      posts: receiver.posts,
      lagMs: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(...lags) },
      drainMs: Math.max(0, Math.max(...receiver.arrivals.map((a) => a.at)) - loadEnded),
      log: { events: appended, bytes: logBytes, bytesPer1000Events: round((logBytes / appended) * 1000, 0) },
    };
  } finally {
    await receiver.close();
    await off.close();
    await on.close();
  }
}
