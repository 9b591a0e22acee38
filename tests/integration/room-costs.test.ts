/**
 * Redis commands per endpoint. Every command the runtime's client sends is
 * counted where ioredis hands it to a connection (`sendCommand`, which the
 * auto-pipeliner and the NOSCRIPT fallback also go through); on a single
 * Redis a MONITOR connection confirms the server received exactly those from
 * the runtime's connection. Each flow runs twice: once cold, once with the
 * scripts warm, and the warm counts are asserted.
 */
import { createHash, createHmac } from 'node:crypto';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPTS } from '../../shared/rooms/scripts';
import { SCRIPTS as METRIC_SCRIPTS } from '../../shared/metrics/lua.generated';
import { roomPartitions } from '../../shared/rooms/keys';

/**
 * Costs of the single-partition layout. With ROOM_PARTITIONS = N > 1 some
 * rare paths cost more by design (docs/data-layout.md): login N writes + its
 * script, logout its script + N-1 deletes, get_room_list N index reads + one
 * script per partition on the page, creating a room the home-partition
 * reserve (1 read + 1 read per owned room + 1 script + 1 write); the
 * heartbeat keeps its one command (checked below, whatever N).
 */
const singlePartition = it.skipIf(roomPartitions() > 1);
import { REDIS_CLUSTER, REDIS_URL, invoke, pushUrlFor, signIn, startHarness, userSigFor, CLOUD, type Answer, type Client, type Harness } from '../support/harness';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const SCRIPT_BY_SHA = new Map([...Object.entries(SCRIPTS), ...Object.entries(METRIC_SCRIPTS)].map(([name, { lua }]) => [sha1(lua), name]));

/**
 * The metrics recorder's write (shared/metrics/recorder.ts): a container's
 * buffered counts, sent at most once per METRICS_FLUSH_SECONDS after a
 * response is ready and never awaited, so it is no round trip of the
 * request it follows. Kept apart from the endpoints' counts and checked on
 * its own below.
 */
const METRICS_WRITE = /^EVAL(SHA)?\(recordMetrics\)$/;
const metricWrites: string[] = [];

interface WireCommand {
  name: string;
  args: unknown[];
}

/** `EVALSHA(joinRoom)`, `EVAL(...)`, `SET`, ... */
function label(command: WireCommand): string {
  const name = command.name.toUpperCase();
  if (name === 'EVALSHA' || name === 'EVAL') {
    const first = String(command.args[0]);
    return `${name}(${SCRIPT_BY_SHA.get(first) ?? SCRIPT_BY_SHA.get(sha1(first)) ?? 'inline'})`;
  }
  return name;
}

let h: Harness;
let flowSeconds = 0;
let recording: string[] | undefined;
let monitor: { conn: Redis; addr: string; seen: string[][] } | undefined;
let monitorError: Error | undefined;

/** Counts every command the runtime's client sends while `recording` is set. */
function tap(client: unknown): void {
  const target = client as { sendCommand: (command: WireCommand, ...rest: unknown[]) => unknown };
  const original = target.sendCommand;
  target.sendCommand = function (this: unknown, command: WireCommand, ...rest: unknown[]) {
    const name = label(command);
    if (METRICS_WRITE.test(name)) metricWrites.push(name);
    else recording?.push(name);
    return original.call(this, command, ...rest);
  };
}

let markers = 0;
/** What MONITOR saw from the runtime's connection since the last marker (the marker itself excluded). */
async function monitored(): Promise<string[] | undefined> {
  if (!monitor) return undefined;
  if (monitorError) throw monitorError;
  const marker = `cost-marker-${++markers}`;
  await h.rt.redis.echo(marker);
  const deadline = Date.now() + 5000;
  let at = -1;
  while ((at = monitor.seen.findIndex((args) => args[0]?.toLowerCase() === 'echo' && args[1] === marker)) < 0) {
    if (monitorError) throw monitorError;
    if (Date.now() > deadline) throw new Error('MONITOR never showed the marker');
    await new Promise((r) => setTimeout(r, 5));
  }
  const before = monitor.seen.splice(0, at + 1).slice(0, -1);
  return before.map((args) => {
    const name = args[0]!.toUpperCase();
    // The metrics write is told by its first key (MONITOR's escaped script text does not hash to its SHA).
    if ((name === 'EVALSHA' || name === 'EVAL') && /\}:m:\d+$/.test(args[3] ?? '')) return `${name}(recordMetrics)`;
    return name === 'EVALSHA' || name === 'EVAL' ? label({ name, args: args.slice(1) }) : name;
  });
}

type Row = { endpoint: string; cold?: string[]; warm?: string[]; server?: string[] };
const rows = new Map<string, Row>();

async function measure(pass: 'cold' | 'warm', endpoint: string, act: () => Promise<Answer>): Promise<Answer> {
  await monitored(); // drain anything before this call
  recording = [];
  const answer = await act();
  const sent = recording;
  recording = undefined;
  const serverSeen = await monitored();
  const server = serverSeen?.filter((c) => !METRICS_WRITE.test(c.replace(/^EVAL\(/, 'EVALSHA(')));
  expect(answer.body.code, `${endpoint}: ${answer.body.message}`).toBe(0);
  const row = rows.get(endpoint) ?? { endpoint };
  row[pass] = sent;
  if (pass === 'warm' && server) row.server = server;
  rows.set(endpoint, row);
  return answer;
}

const join = (c: Client, type: string, roomID: string) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });

/** One walk through every endpoint; `p` keeps the two passes' rooms and users apart. */
async function flow(pass: 'cold' | 'warm', p: string): Promise<void> {
  const [alice, bob] = await Promise.all([signIn(`alice${p}`), signIn(`bob${p}`)]);
  const carolId = `carol${p}`;
  const login = await measure(pass, 'login', () =>
    invoke('/weapp/multi_room/login', { query: { sdkAppID: String(CLOUD.sdkAppId), accountType: '0', userID: carolId, userSig: userSigFor(carolId) } }),
  );
  const carol: Client = {
    userId: carolId,
    token: login.body.token as string,
    call: (type, action, body = {}) => invoke(`/weapp/${type}/${action}`, { query: { userID: carolId, token: login.body.token as string }, body: { userID: carolId, ...body } }),
  };
  const X = `x${p}`;
  const L = `l${p}`;
  await measure(pass, 'get_push_url', () => alice.call('multi_room', 'get_push_url'));
  await measure(pass, 'create_room', () => alice.call('multi_room', 'create_room', { roomID: X, roomInfo: 'i' }));
  await measure(pass, 'add_pusher (enter created room)', () => join(alice, 'multi_room', X));
  await measure(pass, 'add_pusher (join existing room)', () => join(bob, 'multi_room', X));
  await measure(pass, 'add_pusher (member re-adds)', () => join(bob, 'multi_room', X));
  await measure(pass, 'add_pusher (creates the room)', () => join(carol, 'multi_room', `y${p}`));
  await measure(pass, 'pusher_heartbeat', () => bob.call('multi_room', 'pusher_heartbeat', { roomID: X }));
  await measure(pass, 'get_pushers', () => bob.call('multi_room', 'get_pushers', { roomID: X }));
  await measure(pass, 'get_room_list', () => bob.call('multi_room', 'get_room_list', { index: 0, cnt: 20 }));
  await measure(pass, 'delete_pusher (others stay)', () => bob.call('multi_room', 'delete_pusher', { roomID: X }));
  await measure(pass, 'delete_pusher (last one: room ends)', () => carol.call('multi_room', 'delete_pusher', { roomID: `y${p}` }));
  await measure(pass, 'destroy_room', () => alice.call('multi_room', 'destroy_room', { roomID: X }));
  await join(alice, 'live_room', L);
  await join(bob, 'live_room', L); // custom fields are written by pushers
  await measure(pass, 'merge_stream', () => alice.call('live_room', 'merge_stream', { roomID: L, mergeParams: { interface: 'mix_streamv2.cancel_mix_stream' } }));
  await measure(pass, 'set_custom_field', () => bob.call('live_room', 'set_custom_field', { roomID: L, fieldName: 'likes', operation: 'inc' }));
  await measure(pass, 'get_custom_info', () => bob.call('live_room', 'get_custom_info', { roomID: L }));
  await measure(pass, 'add_audience', () => bob.call('live_room', 'add_audience', { roomID: L, userInfo: 'b' }));
  await measure(pass, 'get_audiences', () => bob.call('live_room', 'get_audiences', { roomID: L }));
  await measure(pass, 'delete_audience', () => bob.call('live_room', 'delete_audience', { roomID: L }));
  await measure(pass, 'logout', () => carol.call('multi_room', 'logout'));
  await measure(pass, 'utils/get_login_info', () => invoke('/weapp/utils/get_login_info', { query: { userID: 'dave' } }));
  await measure(pass, 'utils/get_test_pushurl', () => invoke('/weapp/utils/get_test_pushurl'));
  await measure(pass, 'utils/get_test_rtmpaccurl', () => invoke('/weapp/utils/get_test_rtmpaccurl'));
  await alice.call('live_room', 'delete_pusher', { roomID: L });

  // webrtc_room: the same scripts (demo identity: the body userID, no session to look up).
  const webrtc = (action: string, body: Record<string, unknown>) => invoke(`/weapp/webrtc_room/${action}`, { method: 'POST', body });
  const T = `9${p === 'c' ? 1 : 2}${Date.now() % 100000}`;
  await measure(pass, 'webrtc_room/get_login_info', () => webrtc('get_login_info', { userID: `erin${p}` }));
  const made = await measure(pass, 'webrtc_room/create_room', () => webrtc('create_room', { userID: `erin${p}`, roomInfo: 'r' }));
  await measure(pass, 'webrtc_room/enter_room (joins)', () => webrtc('enter_room', { userID: `frank${p}`, roomID: made.body.roomID }));
  await measure(pass, 'webrtc_room/enter_room (creates the room)', () => webrtc('enter_room', { userID: `gina${p}`, roomID: T }));
  await measure(pass, 'webrtc_room/heartbeat', () => webrtc('heartbeat', { userID: `frank${p}`, roomID: made.body.roomID }));
  await measure(pass, 'webrtc_room/get_room_list', () => webrtc('get_room_list', { index: 0, count: 20 }));
  await measure(pass, 'webrtc_room/get_room_members', () => webrtc('get_room_members', { roomID: made.body.roomID }));
  await measure(pass, 'webrtc_room/quit_room (others stay)', () => webrtc('quit_room', { userID: `frank${p}`, roomID: made.body.roomID }));
  await measure(pass, 'webrtc_room/quit_room (last one: room ends)', () => webrtc('quit_room', { userID: `erin${p}`, roomID: made.body.roomID }));
  const left = JSON.stringify({ EventGroupId: 1, EventType: 104, CallbackTs: Date.now(), EventInfo: { RoomId: Number(T), EventMsTs: Date.now(), UserId: `gina${p}` } });
  await measure(pass, 'callbacks/trtc (104: the member leaves)', () =>
    invoke('/weapp/callbacks/trtc', { method: 'POST', rawBody: left, headers: { sign: createHmac('sha256', CLOUD.trtcCallbackKey).update(left).digest('base64') } }),
  );
}

const count = (row: Row | undefined, which: 'cold' | 'warm' | 'server' = 'warm') => row?.[which]?.length ?? -1;
const summary = (commands: string[] | undefined) => {
  const tally = new Map<string, number>();
  for (const c of commands ?? []) tally.set(c, (tally.get(c) ?? 0) + 1);
  return [...tally].map(([c, n]) => (n > 1 ? `${n}x ${c}` : c)).join(', ') || '-';
};

beforeAll(async () => {
  // Production quota defaults, so quota counting is part of what is measured.
  const started = Date.now();
  h = await startHarness({ HEARTBEAT_TIMEOUT: '30', RATE_LIMIT_PER_USER: '600', RATE_LIMIT_PER_IP: '6000' });
  tap(h.rt.redis);
  if (!REDIS_CLUSTER) {
    const info = String(await h.rt.redis.call('CLIENT', 'INFO'));
    const addr = /\baddr=(\S+)/.exec(info)?.[1];
    if (!addr) throw new Error(`cannot tell the runtime's client address from ${info}`);
    const conn = new Redis(REDIS_URL);
    const seen: string[][] = [];
    const mon = await conn.monitor();
    mon.on('monitor', (_time: string, args: string[], source: string) => {
      if (source === addr) seen.push(args);
    });
    // ioredis (DataHandler) now and then takes a MONITOR line for a command reply and
    // emits "Command queue state error ... Last reply: <the line>" instead of 'monitor'
    // (seen once while another file's fuzz DUMPs filled the shared Redis). A lost line
    // of another client changes nothing here; a lost line of ours would miscount, so
    // that one fails the test.
    mon.on('error', (error: Error) => {
      const from = /Last reply: \S+ \[\d+ (\S+)\]/.exec(error.message)?.[1];
      if (from !== undefined && from !== addr) return;
      monitorError ??= error;
    });
    monitor = { conn: mon, addr, seen };
    await conn.quit();
  }
  await flow('cold', 'c');
  await flow('warm', 'w');
  flowSeconds = (Date.now() - started) / 1000;
  const width = Math.max(...[...rows.keys()].map((k) => k.length));
  const lines = [
    `${'endpoint'.padEnd(width)} | cold | warm | server | warm commands`,
    `${'-'.repeat(width)}-|------|------|--------|--------------`,
    ...[...rows.values()].map(
      (r) => `${r.endpoint.padEnd(width)} | ${String(count(r, 'cold')).padStart(4)} | ${String(count(r)).padStart(4)} | ${monitor ? String(count(r, 'server')).padStart(6) : '     -'} | ${summary(r.warm)}`,
    ),
  ];
  console.log(`Redis commands per request (RATE_LIMIT_PER_USER=600, RATE_LIMIT_PER_IP=6000)\n${lines.join('\n')}\nmetrics writes (not awaited): ${metricWrites.length} in ${flowSeconds.toFixed(1)} s`);
}, 60_000);

afterAll(async () => {
  if (monitor) monitor.conn.disconnect();
  await h.close();
});

describe('Redis commands per endpoint (warm scripts)', () => {
  it('metrics add no command to a request: their writes are batched, at most one per METRICS_FLUSH_SECONDS (1 s)', () => {
    expect(metricWrites.length).toBeGreaterThan(0);
    expect(metricWrites.length).toBeLessThanOrEqual(Math.ceil(flowSeconds) + 1);
  });

  it('pusher_heartbeat is exactly one command: the heartbeat script, session check included', () => {
    expect(rows.get('pusher_heartbeat')?.warm).toEqual(['EVALSHA(heartbeat)']);
  });

  it('add_pusher joining an existing room is the join script plus the outbox ack', () => {
    for (const endpoint of ['add_pusher (enter created room)', 'add_pusher (join existing room)', 'add_pusher (member re-adds)']) {
      expect(rows.get(endpoint)?.warm, endpoint).toEqual(['EVALSHA(joinRoom)', 'ZREM']);
    }
  });

  singlePartition('add_pusher creating a room is join (missing), IM, create-join: two commands', () => {
    expect(rows.get('add_pusher (creates the room)')?.warm).toEqual(['EVALSHA(joinRoom)', 'EVALSHA(joinRoom)']);
  });

  singlePartition('every other room endpoint sends at most two commands', () => {
    const room = [...rows.values()].filter((r) => !r.endpoint.startsWith('utils/') && !r.endpoint.startsWith('webrtc_room/get_login_info') && r.endpoint !== 'login' && r.endpoint !== 'logout');
    expect(room.length).toBeGreaterThanOrEqual(18);
    for (const row of room) expect(count(row), `${row.endpoint}: ${summary(row.warm)}`).toBeLessThanOrEqual(2);
    expect(rows.get('create_room')?.warm).toEqual(['EVALSHA(prepareCreate)', 'EVALSHA(createRoom)']);
    expect(rows.get('destroy_room')?.warm).toEqual(['EVALSHA(destroyRoom)', 'ZREM']);
    expect(rows.get('delete_pusher (others stay)')?.warm).toEqual(['EVALSHA(leaveRoom)', 'ZREM']);
    expect(rows.get('delete_pusher (last one: room ends)')?.warm).toEqual(['EVALSHA(leaveRoom)', 'ZREM']);
    for (const endpoint of ['get_pushers', 'get_room_list', 'get_custom_info', 'set_custom_field', 'add_audience', 'delete_audience', 'get_audiences', 'merge_stream', 'get_push_url']) {
      expect(count(rows.get(endpoint)), endpoint).toBe(1);
    }
  });

  singlePartition('webrtc_room runs the same scripts at the same cost: heartbeat one command, entering two, the TRTC callback its script plus the ack', () => {
    expect(rows.get('webrtc_room/heartbeat')?.warm).toEqual(['EVALSHA(heartbeat)']);
    expect(rows.get('webrtc_room/get_room_list')?.warm).toEqual(['EVALSHA(listRooms)']);
    expect(rows.get('webrtc_room/get_room_members')?.warm).toEqual(['EVALSHA(getRoom)']);
    // A UserSig is refused to a user under a service ban (the ban key, in the rooms' slot; the quota is in another).
    expect(rows.get('webrtc_room/get_login_info')?.warm).toEqual(['EVAL(inline)', 'GET']);
    expect(rows.get('webrtc_room/create_room')?.warm).toEqual(['EVALSHA(prepareCreate)', 'EVALSHA(joinRoom)']);
    expect(rows.get('webrtc_room/enter_room (joins)')?.warm).toEqual(['EVALSHA(joinRoom)', 'ZREM']);
    expect(rows.get('webrtc_room/enter_room (creates the room)')?.warm).toEqual(['EVALSHA(joinRoom)', 'EVALSHA(joinRoom)']);
    expect(rows.get('webrtc_room/quit_room (others stay)')?.warm).toEqual(['EVALSHA(leaveRoom)', 'ZREM']);
    expect(rows.get('webrtc_room/quit_room (last one: room ends)')?.warm).toEqual(['EVALSHA(leaveRoom)', 'ZREM']);
    expect(rows.get('callbacks/trtc (104: the member leaves)')?.warm).toEqual(['EVALSHA(trtcEvent)', 'ZREM']);
  });

  singlePartition('login writes one session, capping the user\'s sessions in the same script (plus the per-IP quota when on)', () => {
    expect(rows.get('login')?.warm).toEqual(['EVAL(inline)', 'EVAL(inline)']);
  });

  it.skipIf(roomPartitions() === 1)('with N partitions: login copies the session into the other N-1 beside its script, logout deletes them beside its', () => {
    const n = roomPartitions();
    const sorted = (row: Row | undefined) => [...(row?.warm ?? [])].sort();
    expect(sorted(rows.get('login'))).toEqual([...Array<string>(2).fill('EVAL(inline)'), ...Array<string>(n - 1).fill('SET')]);
    expect(sorted(rows.get('logout'))).toEqual([...Array<string>(n - 1).fill('DEL'), 'EVAL(inline)'].sort());
    expect(rows.get('pusher_heartbeat')?.warm).toEqual(['EVALSHA(heartbeat)']);
  });

  singlePartition('logout removes the session in one command', () => {
    expect(rows.get('logout')?.warm).toEqual(['EVAL(inline)']);
  });

  it('the utilities cost only their per-IP quota check (get_login_info also reads the user\'s service ban)', () => {
    for (const endpoint of ['utils/get_test_pushurl', 'utils/get_test_rtmpaccurl']) {
      expect(rows.get(endpoint)?.warm, endpoint).toEqual(['EVAL(inline)']);
    }
    expect(rows.get('utils/get_login_info')?.warm).toEqual(['EVAL(inline)', 'GET']);
  });

  it('cold scripts cost no extra command (ioredis sends EVAL on a connection\'s first use, not EVALSHA + NOSCRIPT)', () => {
    // (With N > 1 partitions a room list runs one script per partition on its page, which the pass's rooms decide.)
    for (const row of rows.values()) if (roomPartitions() === 1 || !row.endpoint.includes('get_room_list')) expect(count(row, 'cold'), row.endpoint).toBe(count(row));
  });

  it.skipIf(REDIS_CLUSTER)('the Redis server received exactly the counted commands from the runtime connection', () => {
    for (const row of rows.values()) expect(row.server?.map((c) => c.replace(/^EVAL\(/, 'EVALSHA(').replace('EVALSHA(inline)', 'EVAL(inline)')), row.endpoint).toEqual(row.warm);
  });
});
