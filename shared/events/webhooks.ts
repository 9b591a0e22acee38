/**
 * Signed webhooks, delivered from the event log (docs/events-and-webhooks.md
 * has the guarantees table). Per receiver URL, Redis keeps a
 * cursor (the last event done) and a lease: whoever holds the lease POSTs the
 * next batch after the cursor and moves the cursor only once the receiver
 * answered 2xx, so concurrent functions do not send the same batch and a
 * crash loses nothing (the lease runs out and the next kick resends).
 *
 * Who delivers: the request that changed a room kicks delivery without
 * waiting for it (RoomStore's onEvents hook, wired in runtime.ts); the
 * sweeper (every 5 s in the cloud, and the local gateway's timer) delivers
 * whatever is left and waits for it. An SCF function may be frozen right
 * after it answers, with its kick mid-POST; the sweeper then delivers once
 * the lease runs out (at most WEBHOOK_TIMEOUT_MS * 2 + 5 s), and the frozen
 * POST, if it resumes, finds its lease gone and records nothing (the
 * receiver may see that batch twice: receivers dedupe by event id).
 *
 * A failed batch (no answer, or not 2xx) is retried with exponential backoff
 * (WEBHOOK_RETRY_BASE_MS, doubling, at most 5 minutes) up to
 * WEBHOOK_MAX_ATTEMPTS attempts, then parked as a dead letter (the admin API
 * lists and re-drives them) and delivery goes on after it.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { errorMessage } from '../errors';
import { log } from '../log';
import { storeCall } from '../redis';
import { allPartitions, deadLetterKeys, eventLogKey, eventReceiversKey, eventsLostKey, lastEventGapKey, roomPartitions, webhookKey } from '../rooms/keys';
import type { Runtime } from '../services';
import { createTransport, noAnswerReason, type Transport } from '../cloud/transport';
import { SCRIPTS } from './lua.generated';
import { eventPosition, type RoomEvent } from './log';
import { countWebhook, observeWebhookLag } from '../metrics/recorder';

/** Events per POST. */
export const WEBHOOK_BATCH = 100;
/** Longest wait between two attempts of a batch. */
export const RETRY_CAP_MS = 5 * 60_000;
/** Dead letters kept; past it the oldest goes (logged; its events stay in the log while it keeps them). */
export const MAX_DEAD_LETTERS = 1000;
export const SIGNATURE_HEADER = 'X-RoomService-Signature';

export interface WebhookSettings {
  urls: string[];
  secret: string | undefined;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
}

/** `t=<unix s>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, the X-RoomService-Signature header. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** A receiver's name in Redis keys and logs: a digest of its URL (which may carry a token). */
export const receiverId = (url: string) => createHash('sha256').update(url).digest('hex').slice(0, 16);

/** A URL as logs and the admin API show it: origin and path, never its query or credentials. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const leaseMs = (s: WebhookSettings) => s.timeoutMs * 2 + 5000;

/** The wait after a batch's `failures`-th failed attempt: WEBHOOK_RETRY_BASE_MS, doubling, at most RETRY_CAP_MS. */
export const retryWaitMs = (s: WebhookSettings, failures: number) => Math.min(s.retryBaseMs * 2 ** (failures - 1), RETRY_CAP_MS);

/** What a dead letter holds: one batch that failed its every attempt. */
export interface DeadLetter {
  id: string;
  /** The receiver's URL as shown (origin and path). */
  url: string;
  receiver: string;
  events: RoomEvent[];
  attempts: number;
  lastError: string;
  /** When it was parked (ms). */
  parkedAt: number;
  /** When a re-drive last tried it (ms), if one did. */
  redrivenAt?: number;
}

const transports = new WeakMap<object, Transport>();

function transportOf(rt: Runtime): Transport {
  let transport = transports.get(rt.config.webhooks);
  if (!transport) {
    transport = createTransport({ timeoutMs: rt.config.webhooks.timeoutMs, rawBody: true, headers: { 'user-agent': 'RoomService-Webhook/1' } });
    transports.set(rt.config.webhooks, transport);
  }
  return transport;
}

/** POSTs one batch, signed; answers the failure ('' when the receiver answered 2xx). Never throws, never shows the URL. */
async function post(rt: Runtime, url: string, events: RoomEvent[]): Promise<string> {
  const body = JSON.stringify({ events });
  const signature = signatureHeader(rt.config.webhooks.secret!, body, Math.floor(Date.now() / 1000));
  try {
    const answer = await transportOf(rt).post(url, body, { headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature } });
    return answer.status >= 200 && answer.status < 300 ? '' : `HTTP ${answer.status}`;
  } catch (error) {
    return noAnswerReason(error);
  }
}

type ScriptName = keyof typeof SCRIPTS;
async function script<T>(rt: Runtime, name: ScriptName, keys: string[], args: (string | number)[]): Promise<T> {
  return (await storeCall(rt.redis.eval(SCRIPTS[name].lua, keys.length, ...keys, ...args))) as T;
}

export interface DeliveryReport {
  /** Events the receivers acknowledged (2xx), over all receivers. */
  delivered: number;
  /** Batches that failed an attempt. */
  failed: number;
  /** Batches parked as dead letters. */
  parked: number;
}

const emptyReport = (): DeliveryReport => ({ delivered: 0, failed: 0, parked: 0 });

/**
 * Delivers one receiver's pending events until none is left, the receiver
 * fails (then it backs off), another holder has the lease, or `deadline`
 * (ms) passes.
 */
async function deliverTo(rt: Runtime, url: string, deadline: number, partition: number): Promise<DeliveryReport> {
  const settings = rt.config.webhooks;
  const prefix = rt.config.keyPrefix;
  const receiver = receiverId(url);
  const keys = { receiver: webhookKey(prefix, receiver, partition), log: eventLogKey(prefix, partition), dead: deadLetterKeys(prefix, partition), receivers: eventReceiversKey(prefix, partition) };
  const configured = settings.urls.map(receiverId).join(',');
  const token = randomUUID();
  const report = emptyReport();
  const started = Date.now();
  const claim = await script<[string, number?, string?, string[]?]>(rt, 'claimWebhook', [keys.receiver, keys.log, keys.receivers], [started, token, started + leaseMs(settings), WEBHOOK_BATCH, receiver, configured]);
  if (claim[0] !== 'OK') return report;
  let [, attempts, cursor, members] = claim as [string, number, string, string[]];
  for (;;) {
    const events = members.map((m) => JSON.parse(m) as RoomEvent);
    const first = eventPosition(events[0]!.id, 'event id');
    const last = eventPosition(events[events.length - 1]!.id, 'event id');
    // (Partitioned logs' positions follow the clock and have gaps: no such check there.)
    if (roomPartitions() === 1 && first > Number(cursor) + 1) {
      // Positions have no gaps: these were trimmed from the log before this receiver got them.
      log({ event: 'webhook_events_trimmed', receiver: shownUrl(url), missed: first - Number(cursor) - 1 });
    }
    const failure = await post(rt, url, events);
    const now = Date.now();
    const lastAttempt = failure !== '' && attempts + 1 >= settings.maxAttempts;
    const letter: DeadLetter | undefined = lastAttempt
      ? { id: `${roomPartitions() === 1 ? '' : `${partition}.`}${now}-${receiver}-${first}`, url: shownUrl(url), receiver, events, attempts: attempts + 1, lastError: failure, parkedAt: now }
      : undefined;
    const more = now < deadline ? WEBHOOK_BATCH : 0;
    const retryAt = now + retryWaitMs(settings, attempts + 1);
    const [status, dropped, nextAt, , nextCursor, nextMembers] = await script<[string, string, string, number, string, string[]]>(
      rt,
      'settleWebhook',
      [keys.receiver, keys.log, keys.dead.index, keys.dead.bodies, keys.receivers],
      [token, failure === '' ? 'ok' : 'fail', last, settings.maxAttempts, retryAt, failure, letter?.id ?? '', letter ? JSON.stringify(letter) : '', more, now + leaseMs(settings), MAX_DEAD_LETTERS, receiver],
    );
    if (status === 'LOST') {
      // Our lease ran out and someone else took over (and sent this batch too): they carry on.
      log({ event: 'webhook_lease_lost', receiver: shownUrl(url), events: events.length });
      return report;
    }
    if (failure === '') {
      report.delivered += events.length;
      countWebhook(receiver, 'delivered', events.length);
      for (const e of events) observeWebhookLag((now - e.time) / 1000, 1);
    } else {
      report.failed++;
      countWebhook(receiver, 'failed', 1);
      log({ event: 'webhook_failed', receiver: shownUrl(url), attempt: attempts + 1, of: settings.maxAttempts, error: failure, ...(nextAt ? { retryAt: Number(nextAt) } : {}) });
    }
    if (letter) {
      report.parked++;
      countWebhook(receiver, 'parked', 1);
      log({ event: 'webhook_parked', receiver: shownUrl(url), deadLetter: letter.id, events: events.length, firstEvent: events[0]!.id, lastEvent: events[events.length - 1]!.id });
    }
    if (dropped) log({ event: 'dead_letter_dropped', deadLetter: dropped, reason: `more than ${MAX_DEAD_LETTERS} dead letters` });
    if (status !== 'OK') return report;
    [attempts, cursor, members] = [0, nextCursor, nextMembers];
  }
}

/** One in-flight delivery per receiver in this container (runtime); a kick meanwhile asks it for one more round. */
interface Loop {
  running: Promise<DeliveryReport>;
  again: boolean;
}
const loops = new WeakMap<object, Map<string, Loop>>();

function loopOf(rt: Runtime, url: string, budgetMs: number, partition: number): Promise<DeliveryReport> {
  let perRuntime = loops.get(rt);
  if (!perRuntime) loops.set(rt, (perRuntime = new Map()));
  const key = `${partition}|${url}`;
  const current = perRuntime.get(key);
  if (current) {
    current.again = true;
    return current.running;
  }
  const loop: Loop = { again: true, running: Promise.resolve(emptyReport()) };
  loop.running = (async () => {
    const total = emptyReport();
    const deadline = Date.now() + budgetMs;
    try {
      while (loop.again && Date.now() < deadline) {
        loop.again = false;
        const report = await deliverTo(rt, url, deadline, partition);
        total.delivered += report.delivered;
        total.failed += report.failed;
        total.parked += report.parked;
      }
    } finally {
      perRuntime.delete(key);
    }
    return total;
  })();
  perRuntime.set(key, loop);
  return loop.running;
}

/**
 * Delivers pending events to every receiver (WEBHOOK_URL), each for at most
 * `budgetMs`; answers what happened. Never throws: a store or receiver
 * failure is logged and left for the next run.
 */
export async function deliverWebhooks(rt: Runtime, budgetMs = 20_000, partitions: readonly number[] = allPartitions()): Promise<DeliveryReport> {
  const total = emptyReport();
  if (rt.config.webhooks.urls.length === 0) return total;
  const reports = await Promise.all(
    rt.config.webhooks.urls.flatMap((url) => partitions.map((partition) =>
      loopOf(rt, url, budgetMs, partition).catch((error: unknown) => {
        log({ event: 'webhook_delivery_failed', receiver: shownUrl(url), error: errorMessage(error) });
        return emptyReport();
      })),
    ),
  );
  for (const r of reports) {
    total.delivered += r.delivered;
    total.failed += r.failed;
    total.parked += r.parked;
  }
  return total;
}

/**
 * Starts delivery after a change without waiting for it (the response is not
 * held up). Coalesced: while this container delivers to a receiver, a kick
 * only asks for one more round.
 */
export function kickWebhooks(rt: Runtime, partition?: number): void {
  if (rt.config.webhooks.urls.length === 0) return;
  void deliverWebhooks(rt, undefined, partition === undefined ? allPartitions() : [partition]);
}

/** How one receiver's delivery stands (for the admin plane and operators). */
export interface ReceiverStatus {
  /** Origin and path of the URL. */
  url: string;
  /** Events in the log after its cursor: not yet acknowledged. */
  pending: number;
  /** Failed attempts of the batch at its cursor (0: none failing). */
  attempts: number;
  lastError: string | null;
  /** No attempt before this moment (ms), while backing off. */
  retryAt: number | null;
  /** A deliverer holds its lease until this moment (ms). */
  leasedUntil: number | null;
}

/** An events_lost event's facts: the hard bound (EVENT_LOG_HARD_MAX_LEN) forced these out before every receiver had them. */
export interface EventGap {
  /** The events_lost event's id (where it sits in the log). */
  id: string;
  count: number;
  firstId: string;
  lastId: string;
  /** When (ms). */
  time: number;
}

/** Every configured receiver's delivery state, the number of dead letters and the events lost to the log's hard bound; read-only. */
export async function webhookStatus(rt: Runtime): Promise<{ receivers: ReceiverStatus[]; deadLetters: number; eventsLost: { count: number; last: EventGap | null } }> {
  const prefix = rt.config.keyPrefix;
  const now = Date.now();
  const receivers = await Promise.all(
    rt.config.webhooks.urls.map(async (url): Promise<ReceiverStatus> => {
      // Per partition (ROOM_PARTITIONS): pending events add up; the worst attempt count and the latest moments show.
      const parts = await Promise.all(
        allPartitions().map(async (p) => {
          const state = await storeCall(rt.redis.hgetall(webhookKey(prefix, receiverId(url), p)));
          const pending = await storeCall(rt.redis.zcount(eventLogKey(prefix, p), `(${state.cursor ?? '0'}`, '+inf'));
          return { state, pending };
        }),
      );
      const moment = (field: string | undefined) => (field && Number(field) > now ? Number(field) : null);
      const latest = (field: string) => {
        const moments = parts.map(({ state }) => moment(state[field])).filter((m): m is number => m !== null);
        return moments.length > 0 ? Math.max(...moments) : null;
      };
      const failing = parts.reduce((worst, part) => (Number(part.state.attempts ?? 0) > Number(worst.state.attempts ?? 0) ? part : worst), parts[0]!);
      return {
        url: shownUrl(url),
        pending: parts.reduce((sum, part) => sum + part.pending, 0),
        attempts: Number(failing.state.attempts ?? 0),
        lastError: failing.state.lastError ?? parts.find((part) => part.state.lastError)?.state.lastError ?? null,
        retryAt: latest('nextAt'),
        leasedUntil: latest('leaseUntil'),
      };
    }),
  );
  const counts = await Promise.all(allPartitions().map((p) => storeCall(rt.redis.zcard(deadLetterKeys(prefix, p).index))));
  const losses = await Promise.all(
    allPartitions().map(async (p) => ({
      count: Number((await storeCall(rt.redis.get(eventsLostKey(prefix, p)))) ?? 0),
      last: ((json) => (json ? (JSON.parse(json) as EventGap) : null))(await storeCall(rt.redis.get(lastEventGapKey(prefix, p)))),
    })),
  );
  const last = losses.map((l) => l.last).reduce<EventGap | null>((latest, gap) => (gap && (!latest || gap.time > latest.time) ? gap : latest), null);
  return { receivers, deadLetters: counts.reduce((sum, n) => sum + n, 0), eventsLost: { count: losses.reduce((sum, l) => sum + l.count, 0), last } };
}

// ---- dead letters (GET /admin/dead-letters, POST /admin/dead-letters/redrive)

/** Every dead letter, oldest parked first. */
export async function listDeadLetters(rt: Runtime): Promise<DeadLetter[]> {
  const parts = await Promise.all(allPartitions().map((p) => storeCall(rt.redis.hgetall(deadLetterKeys(rt.config.keyPrefix, p).bodies))));
  return parts
    .flatMap((bodies) => Object.values(bodies))
    .map((json) => JSON.parse(json) as DeadLetter)
    .sort((a, b) => a.parkedAt - b.parkedAt || (a.id < b.id ? -1 : 1));
}

export interface RedriveReport {
  /** Dead letters delivered now (2xx) and removed. */
  redriven: number;
  /** Dead letters that failed again (kept, with attempts and lastError updated). */
  failed: number;
}

/**
 * Sends dead letters again, now: one (`id`) or all. Each is claimed first
 * (two re-drives at once do not both send it); a delivered one goes, a
 * failed one stays. A letter whose receiver is no longer in WEBHOOK_URL
 * fails with that reason. Re-driven events arrive after newer ones of their
 * room (their seq says where they belong).
 */
export async function redriveDeadLetters(rt: Runtime, options: { id?: string } = {}): Promise<RedriveReport> {
  const report: RedriveReport = { redriven: 0, failed: 0 };
  // A letter's id names its partition when there are several (`<p>.<ms>-...`).
  const named = options.id === undefined || roomPartitions() === 1 ? undefined : Number(/^(\d+)\./.exec(options.id)?.[1] ?? -1);
  const partitions = named === undefined ? allPartitions() : named >= 0 && named < roomPartitions() ? [named] : [];
  for (const p of partitions) {
    const part = await redriveIn(rt, p, options);
    report.redriven += part.redriven;
    report.failed += part.failed;
  }
  return report;
}

async function redriveIn(rt: Runtime, partition: number, options: { id?: string }): Promise<RedriveReport> {
  const keys = deadLetterKeys(rt.config.keyPrefix, partition);
  const now = Date.now();
  const bodies = await script<string[]>(rt, 'claimDeadLetters', [keys.index, keys.bodies], [now, now + leaseMs(rt.config.webhooks), options.id ?? '', MAX_DEAD_LETTERS]);
  const report: RedriveReport = { redriven: 0, failed: 0 };
  for (const body of bodies) {
    const letter = JSON.parse(body) as DeadLetter;
    const url = rt.config.webhooks.urls.find((u) => receiverId(u) === letter.receiver);
    const failure = url ? await post(rt, url, letter.events) : 'its receiver is no longer in WEBHOOK_URL';
    const updated: DeadLetter = { ...letter, attempts: letter.attempts + 1, lastError: failure || letter.lastError, redrivenAt: Date.now() };
    await script<number>(rt, 'settleDeadLetter', [keys.index, keys.bodies], [letter.id, failure === '' ? 'ok' : 'fail', JSON.stringify(updated)]);
    if (failure === '') report.redriven++;
    else report.failed++;
    log({ event: 'dead_letter_redrive', deadLetter: letter.id, receiver: letter.url, events: letter.events.length, ...(failure ? { error: failure } : { delivered: true }) });
  }
  return report;
}
