/**
 * Observability (issue 23): the counters a scripted session leaves in
 * /admin/metrics (parsed by parse-prometheus-text-format, a parser
 * independent of prom-client, which writes the text), the gauges read at
 * scrape time, and /admin/usage against a known schedule on a moved clock.
 * Runs on both stores and with partitions.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main_handler as route } from '../../functions/router';
import { resetMetricsBuffer } from '../../shared/metrics/recorder';
import { RoomStore } from '../../shared/rooms/store';
import { sweep } from '../../shared/rooms/sweeper';
import { installRuntime, type Runtime } from '../../shared/runtime';
import { pushUrlFor, signInAll, startHarness, type Client, type Harness } from '../support/harness';

const KEY = 'metrics-admin-key-0123456789-abcdefghijklmnop';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ADMIN_API_KEY: KEY });
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({});
  await h.clean();
  resetMetricsBuffer();
  h.fake.reset();
});

/** An admin GET through the router; the body as text (the metrics are not JSON). */
async function adminGet(path: string, query: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  const response = await route({
    httpMethod: 'GET',
    path,
    headers: { authorization: `Bearer ${KEY}` },
    queryStringParameters: query,
    pathParameters: {},
    body: '',
    isBase64Encoded: false,
    requestContext: { requestId: 'metrics-test', sourceIp: '127.0.0.1' },
  });
  return { status: response.statusCode, type: String(response.headers['Content-Type']), text: response.body };
}

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
}

let lastText = '';
async function scrape(): Promise<Map<string, Family>> {
  const answer = await adminGet('/admin/metrics');
  expect(answer.status).toBe(200);
  expect(answer.type).toMatch(/^text\/plain; version=0\.0\.4/);
  lastText = answer.text;
  const families = parsePrometheusTextFormat(answer.text) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}

/**
 * One series of a labelled histogram, parsed on its own: the parser folds a
 * histogram family into one sample and reads _sum/_count only without
 * labels, so it is given the family's HELP/TYPE lines and that series' lines
 * with the series' own label taken out.
 */
function histogramSeries(text: string, name: string, label: string): Family['metrics'][number] {
  const lines = text.split('\n').filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `) || (l.startsWith(`${name}_`) && l.includes(label)))
    .map((l) => (label === '' ? l : l.replace(`{${label}}`, '').replace(`${label},`, '')));
  const [family] = parsePrometheusTextFormat(lines.join('\n') + '\n') as Family[];
  expect(family!.type).toBe('HISTOGRAM');
  expect(family!.metrics.length).toBe(1);
  return family!.metrics[0]!;
}

/** The value of the one sample of `name` whose labels include `labels` (0 when there is none). */
function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const matching = (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  expect(matching.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return matching.length === 0 ? 0 : Number(matching[0]!.value ?? matching[0]!.count);
}

const join = (c: Client, type: string, roomID: string) => c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });

describe('GET /admin/metrics', () => {
  it('after a scripted session its counters match the requests made, and the gauges the rooms now', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    expect((await join(alice, 'multi_room', 'm1')).body.code).toBe(0);
    expect((await join(bob, 'multi_room', 'm1')).body.code).toBe(0);
    for (let i = 0; i < 3; i++) expect((await bob.call('multi_room', 'pusher_heartbeat', { roomID: 'm1' })).body.code).toBe(0);
    expect((await bob.call('multi_room', 'pusher_heartbeat', { roomID: 'nowhere' })).body.code).toBe(5);
    expect((await bob.call('multi_room', 'get_pushers', {})).status).toBe(400);
    expect((await join(alice, 'live_room', 'l1')).body.code).toBe(0);
    expect((await bob.call('live_room', 'add_audience', { roomID: 'l1', userInfo: 'b' })).body.code).toBe(0);

    const during = await scrape();
    expect(value(during, 'roomservice_rooms', { room_type: 'multi_room' })).toBe(1);
    expect(value(during, 'roomservice_pushers', { room_type: 'multi_room' })).toBe(2);
    expect(value(during, 'roomservice_rooms', { room_type: 'live_room' })).toBe(1);
    expect(value(during, 'roomservice_pushers', { room_type: 'live_room' })).toBe(1);
    expect(value(during, 'roomservice_audience', { room_type: 'live_room' })).toBe(1);
    expect(value(during, 'roomservice_rooms', { room_type: 'double_room' })).toBe(0);

    expect((await bob.call('multi_room', 'delete_pusher', { roomID: 'm1' })).body.code).toBe(0);
    expect((await alice.call('multi_room', 'delete_pusher', { roomID: 'm1' })).body.code).toBe(0);
    expect((await alice.call('live_room', 'delete_pusher', { roomID: 'l1' })).body.code).toBe(0);

    const m = await scrape();
    for (const name of m.keys()) expect(name).toMatch(/^roomservice_/);
    const requests = (endpoint: string, room_type: string, code: string) => value(m, 'roomservice_requests_total', { endpoint, room_type, code });
    expect(requests('login', 'multi_room', '0')).toBe(2);
    expect(requests('add_pusher', 'multi_room', '0')).toBe(2);
    expect(requests('add_pusher', 'live_room', '0')).toBe(1);
    expect(requests('pusher_heartbeat', 'multi_room', '0')).toBe(3);
    expect(requests('pusher_heartbeat', 'multi_room', '5')).toBe(1);
    expect(requests('get_pushers', 'multi_room', '1')).toBe(1);
    expect(requests('delete_pusher', 'multi_room', '0')).toBe(2);
    expect(requests('add_audience', 'live_room', '0')).toBe(1);
    // The first scrape is counted too (it answered before this one).
    expect(requests('admin/metrics', '-', '0')).toBe(1);
    const all = m.get('roomservice_requests_total')!.metrics.reduce((sum, s) => sum + Number(s.value), 0);
    // login 2, add_pusher 3, pusher_heartbeat 4, get_pushers 1, add_audience 1, delete_pusher 3, admin/metrics 1.
    expect(all).toBe(15);

    // The histogram: one series per endpoint, cumulative buckets ending at +Inf = count.
    expect(m.get('roomservice_request_duration_seconds')!.type).toBe('HISTOGRAM');
    const beats = histogramSeries(lastText, 'roomservice_request_duration_seconds', 'endpoint="pusher_heartbeat"');
    expect(Number(beats.count)).toBe(4);
    // (In le order: an object lists integer-like keys such as "1" first.)
    const counts = Object.entries(beats.buckets!)
      .sort(([a], [b]) => Number(a === '+Inf' ? Infinity : a) - Number(b === '+Inf' ? Infinity : b))
      .map(([, n]) => Number(n));
    expect(counts.length).toBe(13);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(beats.buckets!['+Inf']).toBe('4');
    expect(Number(beats.sum)).toBeGreaterThan(0);

    expect(value(m, 'roomservice_heartbeats_total', { room_type: 'multi_room' })).toBe(3);
    expect(value(m, 'roomservice_seats_joined_total', { room_type: 'multi_room' })).toBe(2);
    expect(value(m, 'roomservice_seats_left_total', { room_type: 'multi_room', reason: 'left' })).toBe(2);
    expect(value(m, 'roomservice_rooms_started_total', { room_type: 'multi_room' })).toBe(1);
    expect(value(m, 'roomservice_rooms_finished_total', { room_type: 'multi_room', reason: 'last_left' })).toBe(1);
    expect(value(m, 'roomservice_audience_joined_total', { room_type: 'live_room' })).toBe(1);
    // The live room ended with bob in its audience: he left with it.
    expect(value(m, 'roomservice_audience_left_total', { room_type: 'live_room', reason: 'room_ended' })).toBe(1);
    expect(value(m, 'roomservice_rooms', { room_type: 'multi_room' })).toBe(0);
    expect(value(m, 'roomservice_pushers', { room_type: 'multi_room' })).toBe(0);

    // IM calls, by API and outcome, as many as the fake IM received (each answered OK).
    const imCalls = h.fake.calls.filter((c) => c.api === 'im');
    expect(imCalls.length).toBeGreaterThan(0);
    const imTotal = m.get('roomservice_im_calls_total')!.metrics.reduce((sum, s) => sum + Number(s.value), 0);
    expect(imTotal).toBe(imCalls.length);
    expect(m.get('roomservice_im_calls_total')!.metrics.every((s) => s.labels?.outcome === 'ok')).toBe(true);
    expect(m.get('roomservice_webhook_dead_letters')!.metrics[0]!.value).toBe('0');
    // No secret in the text.
    expect((await adminGet('/admin/metrics')).text).not.toContain(KEY.slice(0, 16));
  });

  it('counts sweeper runs with their durations', async () => {
    await sweep(h.rt);
    await sweep(h.rt);
    const m = await scrape();
    expect(histogramSeries(lastText, 'roomservice_sweeper_run_duration_seconds', '')).toMatchObject({ count: '2' });
  });

  it('needs the admin key like every admin route', async () => {
    const response = await route({ httpMethod: 'GET', path: '/admin/metrics', headers: {}, queryStringParameters: {}, pathParameters: {}, body: '', isBase64Encoded: false, requestContext: { requestId: 'x', sourceIp: '127.0.0.1' } });
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ code: 401 });
  });
});

describe('GET /admin/usage', () => {
  /** The harness runtime with the room store on a clock the test moves. */
  function onClock(clock: { now: number }): Runtime {
    const rt: Runtime = { ...h.rt, rooms: new RoomStore(h.rt.redis, h.prefix, h.rt.config.rooms, h.rt.config.rateLimit, () => clock.now, h.rt.config.eventLog) };
    installRuntime(rt);
    return rt;
  }

  it('matches a known schedule to the second, split over hour buckets', async () => {
    const HOUR = 3_600_000;
    const MIN = 60_000;
    // Five minutes before an hour's end, two hours ago: the live room spans two hour buckets.
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const t0 = hour + 55 * MIN;
    // The live room's pushers send no heartbeats in this schedule; the multi room's keep the 20 s default.
    await h.reconfigure({ LIVE_ROOM_HEARTBEAT_TIMEOUT: '3600' });
    const clock = { now: t0 };
    const rt = onClock(clock);
    const [alice, bob, carol, dave] = await signInAll('alice', 'bob', 'carol', 'dave');
    const at = (ms: number) => (clock.now = t0 + ms);

    at(0);
    expect((await join(alice, 'live_room', 'L')).body.code).toBe(0);
    at(90_000);
    expect((await join(bob, 'live_room', 'L')).body.code).toBe(0);
    at(150_000);
    expect((await carol.call('live_room', 'add_audience', { roomID: 'L', userInfo: 'c' })).body.code).toBe(0);
    // Dave's multi room: joined 60 s in, one heartbeat at 70 s, then silence: he is gone at 70 s + 20 s (HEARTBEAT_TIMEOUT).
    at(60_000);
    expect((await join(dave, 'multi_room', 'M')).body.code).toBe(0);
    at(70_000);
    expect((await dave.call('multi_room', 'pusher_heartbeat', { roomID: 'M' })).body.code).toBe(0);
    at(180_000);
    await sweep(rt); // reaps dave (heartbeatDeadline 90 s) and ends M now (180 s)
    at(300_000); // 60:00, the next hour's first moment
    expect((await bob.call('live_room', 'delete_pusher', { roomID: 'L' })).body.code).toBe(0);
    at(390_000);
    expect((await carol.call('live_room', 'delete_audience', { roomID: 'L' })).body.code).toBe(0);
    at(600_000);
    expect((await alice.call('live_room', 'delete_pusher', { roomID: 'L' })).body.code).toBe(0);

    const answer = await adminGet('/admin/usage', { from: new Date(hour).toISOString(), to: String(hour + 2 * HOUR), bucket: 'hour' });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { rows: Record<string, unknown>[]; bucket: string };
    const row = (start: number, roomType: string) => body.rows.find((r) => r.start === new Date(start).toISOString() && r.roomType === roomType);
    expect(row(hour, 'live_room')).toEqual({
      start: new Date(hour).toISOString(),
      roomType: 'live_room',
      roomMinutes: 5, // 55:00-60:00
      pusherMinutes: 5 + 3.5, // alice 55:00-60:00, bob 56:30-60:00
      audienceMinutes: 2.5, // carol 57:30-60:00
      peakRooms: 1,
      peakPushers: 2,
      roomsStarted: 1,
      distinctUsers: 3,
    });
    expect(row(hour + HOUR, 'live_room')).toEqual({
      start: new Date(hour + HOUR).toISOString(),
      roomType: 'live_room',
      roomMinutes: 5, // 60:00-65:00
      pusherMinutes: 5, // alice; bob left at 60:00 sharp
      audienceMinutes: 1.5, // carol 60:00-61:30
      peakRooms: 1,
      peakPushers: 1,
      roomsStarted: 0,
      distinctUsers: 2,
    });
    expect(row(hour, 'multi_room')).toMatchObject({ roomMinutes: 2, pusherMinutes: 0.5, peakRooms: 1, peakPushers: 1, roomsStarted: 1, distinctUsers: 1 });
    expect(row(hour + HOUR, 'multi_room')).toMatchObject({ roomMinutes: 0, pusherMinutes: 0, peakRooms: 0, distinctUsers: 0 });

    // Days: the same minutes in one row per type; CSV: the same rows.
    const day = JSON.parse((await adminGet('/admin/usage', { from: String(hour), to: String(hour + 2 * HOUR), bucket: 'day' })).text) as { rows: Record<string, unknown>[] };
    expect(day.rows.find((r) => r.roomType === 'live_room')).toMatchObject({ roomMinutes: 10, pusherMinutes: 13.5, audienceMinutes: 4, peakPushers: 2, distinctUsers: 3 });
    const csv = await adminGet('/admin/usage', { from: String(hour), to: String(hour + 2 * HOUR), bucket: 'hour', format: 'csv' });
    expect(csv.type).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('start,roomType,roomMinutes,pusherMinutes,audienceMinutes,peakRooms,peakPushers,roomsStarted,distinctUsers');
    expect(lines).toContain(`${new Date(hour).toISOString()},live_room,5,8.5,2.5,1,2,1,3`);
    expect(lines.length).toBe(1 + body.rows.length);
  });

  it('refuses a malformed range naming the field', async () => {
    for (const [query, field] of [
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2000', to: '1000' }, 'to'],
      [{ from: '0', bucket: 'hour' }, 'from'],
      [{ from: '0', bucket: 'week' }, 'bucket'],
      [{ from: String(Date.now() - 1000), format: 'xml' }, 'format'],
    ] as const) {
      const answer = await adminGet('/admin/usage', query);
      expect(answer.status, JSON.stringify(query)).toBe(400);
      const body = JSON.parse(answer.text);
      expect(body.code).toBe(1);
      expect(body.message).toMatch(new RegExp(`^${field} `));
    }
  });
});
