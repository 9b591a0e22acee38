/**
 * The room event log: every change appends its event in the same script
 * (types, reasons, fields), per-room sequence numbers without gaps under
 * concurrency and across a reused room id, replay, bounds, and the admin
 * plane's entry point. Webhooks are in webhooks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { verifyToken } from '../../shared/auth/token';
import { appendEvent, parseEventRoom, readEvents, SERVICE_ROOM, type RoomEvent } from '../../shared/events/log';
import { eventCountKey, eventLogKey, roomKeys, roomPartitions, roomSeqKey } from '../../shared/rooms/keys';

/**
 * These check the single log's layout and bounds (positions 1..n, one key,
 * EVENT_LOG_MAX_LEN over all events). With ROOM_PARTITIONS > 1 each partition
 * has its own log, bounded on its own, with positions that follow the clock
 * (docs/data-layout.md); tests/unit/partitions.test.ts and the partitioned
 * suite cover that layout.
 */
const singleLog = it.skipIf(roomPartitions() > 1);
import { sweep } from '../../shared/rooms/sweeper';
import { CLOUD, harnessPerFile, invoke, pushUrlFor, signedStreamCallback, signIn, signInAll, sleep, STORE, type Client, type Harness } from '../support/harness';

let h: Harness;
harnessPerFile((started) => (h = started));

const all = async (): Promise<RoomEvent[]> => (await readEvents(h.rt, { limit: 1000 })).events;
/** The events as `type reason user` lines, the shape most assertions read best in. */
const lines = (events: RoomEvent[]) => events.map((e) => [e.type, e.reason, e.userID].filter(Boolean).join(' '));
const join = (c: Client, type: string, roomID: string) => c.call(type, 'add_pusher', { roomID, userName: `${c.userId} name`, userAvatar: 'https://a/x.png', pushURL: pushUrlFor(c.userId) });
const actorOf = (c: Client) => verifyToken(h.rt.config.sessionSecret, c.userId, c.token)!;

describe('every change appends its event, with its reason', () => {
  it('create, start, join, custom field, audience, leave, last pusher leaving: the room in order, seq 1..n', async () => {
    const [host, guest, viewer] = await signInAll('host', 'guest', 'viewer');
    expect((await host.call('live_room', 'create_room', { roomID: 'show', roomInfo: 'tab\t"quoted" 中文' })).body.code).toBe(0);
    expect((await join(host, 'live_room', 'show')).body.code).toBe(0);
    expect((await join(guest, 'live_room', 'show')).body.code).toBe(0);
    expect((await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc', value: 5 })).body.code).toBe(0);
    expect((await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'topic', operation: 'set', value: 'cats' })).body.code).toBe(0);
    expect((await viewer.call('live_room', 'add_audience', { roomID: 'show', userInfo: '{}' })).body.code).toBe(0);
    expect((await viewer.call('live_room', 'delete_audience', { roomID: 'show' })).body.code).toBe(0);
    expect((await guest.call('live_room', 'delete_pusher', { roomID: 'show' })).body.code).toBe(0);
    expect((await host.call('live_room', 'delete_pusher', { roomID: 'show' })).body.code).toBe(0);

    const events = await all();
    expect(lines(events)).toEqual([
      'room_created host',
      'room_started host',
      'pusher_joined host',
      'pusher_joined guest',
      'custom_changed host',
      'custom_changed host',
      'audience_joined viewer',
      'audience_left left viewer',
      'pusher_left left guest',
      'pusher_left left host',
      'room_finished creator_left',
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (const e of events) {
      expect(e).toMatchObject({ roomType: 'live_room', roomID: 'show' });
      expect(e.id).toMatch(/^(\d+\.)?\d{13}-\d+$/);
      expect(Math.abs(e.time - Date.now())).toBeLessThan(10_000);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events[0]).toMatchObject({ roomInfo: 'tab\t"quoted" 中文' });
    expect(events[1]).toMatchObject({ creator: 'host' });
    expect(events[2]).toMatchObject({ userName: 'host name', userAvatar: 'https://a/x.png', streamID: `${CLOUD.bizid}_host_ab12` });
    expect(events[4]).toMatchObject({ field: 'likes', operation: 'inc', value: 5 });
    expect(events[5]).toMatchObject({ field: 'topic', operation: 'set', value: 'cats' });
  });

  it('a creator ending a live room takes the others with it: pusher_left room_ended, audience_left room_ended, then room_finished creator_left', async () => {
    const [host, guest, viewer] = await signInAll('host', 'guest', 'viewer');
    await join(host, 'live_room', 'show');
    await join(guest, 'live_room', 'show');
    await viewer.call('live_room', 'add_audience', { roomID: 'show' });
    await host.call('live_room', 'delete_pusher', { roomID: 'show' });
    expect(lines(await all())).toEqual([
      'room_created host',
      'room_started host',
      'pusher_joined host',
      'pusher_joined guest',
      'audience_joined viewer',
      'pusher_left left host',
      'pusher_left room_ended guest',
      'audience_left room_ended viewer',
      'room_finished creator_left',
    ]);
  });

  it('destroy_room: room_finished destroyed; the admin reasons kicked and admin come from the caller', async () => {
    const [a, b, c] = await signInAll('a1', 'b1', 'c1');
    await join(a, 'multi_room', 'm1');
    await join(b, 'multi_room', 'm1');
    await join(c, 'multi_room', 'm1');
    await h.rt.rooms.leave(actorOf(c), 'multi_room', 'm1', 'kicked');
    expect((await a.call('multi_room', 'destroy_room', { roomID: 'm1' })).body.code).toBe(0);
    await join(a, 'multi_room', 'm2');
    await h.rt.rooms.destroy(actorOf(a), 'multi_room', 'm2', 'admin');
    const events = await all();
    expect(lines(events.filter((e) => e.roomID === 'm1')).slice(-4)).toEqual(['pusher_left kicked c1', 'pusher_left room_ended a1', 'pusher_left room_ended b1', 'room_finished destroyed']);
    expect(lines(events.filter((e) => e.roomID === 'm2')).slice(-2)).toEqual(['pusher_left room_ended a1', 'room_finished admin']);
  });

  it('the sweeper: pusher_left heartbeat_timeout, room_finished last_left and idle', async () => {
    await h.reconfigure({ HEARTBEAT_TIMEOUT: '0.5', ROOM_IDLE_TIMEOUT: '0.5' });
    const [a, b] = await signInAll('a1', 'b1');
    const joinedAt = Date.now();
    await join(a, 'multi_room', 'm1');
    await join(b, 'multi_room', 'm1');
    await a.call('multi_room', 'create_room', { roomID: 'm2' });
    await sleep(700);
    await sweep(h.rt);
    const events = await all();
    // When the pusher really went: its missed deadline (last beat + the timeout), before the reap.
    for (const left of events.filter((e) => e.reason === 'heartbeat_timeout')) {
      expect(left.heartbeatDeadline).toBeGreaterThanOrEqual(joinedAt + 500);
      expect(left.heartbeatDeadline).toBeLessThan(left.time);
    }
    expect(lines(events.filter((e) => e.roomID === 'm1')).slice(4)).toEqual(['pusher_left heartbeat_timeout a1', 'pusher_left heartbeat_timeout b1', 'room_finished last_left']);
    expect(lines(events.filter((e) => e.roomID === 'm2'))).toEqual(['room_created a1', 'room_finished idle']);
    // A second sweep finds nothing to change and appends nothing.
    await sweep(h.rt);
    expect(await all()).toEqual(events);
  });

  it('a seat that timed out but was not reaped yet, taken again: pusher_left heartbeat_timeout, then pusher_joined', async () => {
    await h.reconfigure({ HEARTBEAT_TIMEOUT: '0.5' });
    const [a, b] = await signInAll('a1', 'b1');
    await join(a, 'multi_room', 'm1');
    await join(b, 'multi_room', 'm1');
    await sleep(700);
    await join(a, 'multi_room', 'm1');
    // Updating a live seat (a second add_pusher) is not a join.
    await join(a, 'multi_room', 'm1');
    expect(lines(await all()).slice(4)).toEqual(['pusher_left heartbeat_timeout a1', 'pusher_joined a1']);
    expect((await all())[4]!.heartbeatDeadline).toBeLessThan((await all())[4]!.time);
  });

  it('a stopped stream: pusher_left stream_stopped', async () => {
    const [a, b] = await signInAll('a1', 'b1');
    await join(a, 'multi_room', 'm1');
    await join(b, 'multi_room', 'm1');
    const stop = signedStreamCallback({ event_type: 0, stream_id: `${CLOUD.bizid}_b1_ab12`, sequence: '9', event_time: Math.floor(Date.now() / 1000), errcode: 1, errmsg: 'closed' });
    expect((await invoke('/weapp/callbacks/live_stream', { method: 'POST', body: stop })).status).toBe(200);
    expect(lines(await all()).at(-1)).toBe('pusher_left stream_stopped b1');
  });

  it('no event without a change: heartbeats, reads, refusals, a repeated opID, an audience member updating its info, leaving what one is not in', async () => {
    const [host, viewer, stranger] = await signInAll('host', 'viewer', 'stranger');
    await join(host, 'live_room', 'show');
    await viewer.call('live_room', 'add_audience', { roomID: 'show', userInfo: 'a' });
    await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'n', operation: 'inc', opID: 'op-1' });
    const before = await all();
    for (let i = 0; i < 3; i++) expect((await host.call('live_room', 'pusher_heartbeat', { roomID: 'show' })).body.code).toBe(0);
    await host.call('live_room', 'get_pushers', { roomID: 'show' });
    await host.call('live_room', 'get_room_list', {});
    await host.call('live_room', 'get_audiences', { roomID: 'show' });
    expect((await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'n', operation: 'inc', opID: 'op-1' })).body.code).toBe(0);
    expect((await viewer.call('live_room', 'add_audience', { roomID: 'show', userInfo: 'b' })).body.code).toBe(0);
    expect((await stranger.call('live_room', 'delete_audience', { roomID: 'show' })).body.code).toBe(0);
    expect((await stranger.call('live_room', 'delete_pusher', { roomID: 'show' })).body.code).toBe(5);
    expect((await stranger.call('live_room', 'destroy_room', { roomID: 'show' })).body.code).toBe(3);
    expect((await stranger.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'n', operation: 'inc' })).body.code).toBe(5);
    expect((await stranger.call('live_room', 'create_room', { roomID: 'show' })).body.code).toBe(11);
    expect(await all()).toEqual(before);
  });
});

describe('sequence numbers', () => {
  it('have no gaps and follow the log order under many concurrent joins, leaves and audience changes on one room', async () => {
    const users = await Promise.all(Array.from({ length: 24 }, (_, i) => signIn(`u${i}`)));
    const [host] = users;
    await join(host!, 'live_room', 'busy');
    // Every user joins or leaves a seat and the audience several times, all at once.
    await Promise.all(
      users.slice(1).map(async (u, i) => {
        for (let round = 0; round < 3; round++) {
          await (i % 2 ? join(u, 'live_room', 'busy') : u.call('live_room', 'add_audience', { roomID: 'busy' }));
          await (i % 2 ? u.call('live_room', 'delete_pusher', { roomID: 'busy' }) : u.call('live_room', 'delete_audience', { roomID: 'busy' }));
        }
      }),
    );
    const events = (await all()).filter((e) => e.roomID === 'busy');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // Each accepted join has its leave: the counts match what happened (a full room refuses some joins).
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect(count('pusher_joined') - 1).toBe(count('pusher_left'));
    expect(count('audience_joined')).toBe(36);
    expect(count('audience_left')).toBe(36);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('continue when a room id is used again, and survive the room keys (the sequence key outlives the room)', async () => {
    const [a] = await signInAll('a1');
    await join(a, 'multi_room', 'again');
    await a.call('multi_room', 'delete_pusher', { roomID: 'again' });
    expect(await h.rt.redis.exists(roomKeys(h.prefix, 'multi_room', 'again').room)).toBe(0);
    expect(await h.rt.redis.get(roomSeqKey(h.prefix, 'multi_room', 'again'))).toBe('5');
    await join(a, 'multi_room', 'again');
    const events = (await all()).filter((e) => e.roomID === 'again');
    expect(events.map((e) => `${e.seq} ${e.type}`)).toEqual([
      '1 room_created',
      '2 room_started',
      '3 pusher_joined',
      '4 pusher_left',
      '5 room_finished',
      '6 room_created',
      '7 room_started',
      '8 pusher_joined',
    ]);
    // The same id in another room type is another room with its own sequence.
    const [b] = await signInAll('b1');
    await join(b, 'double_room', 'other');
    expect((await all()).filter((e) => e.roomType === 'double_room').map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});

describe('admin and service events (appendEvent)', () => {
  it("append into the room's sequence, or the service pseudo room's, with their fields; bad input is refused", async () => {
    const [a] = await signInAll('a1');
    await join(a, 'multi_room', 'm1');
    const id = await appendEvent(h.rt, { type: 'multi_room', id: 'm1' }, 'admin_info', { by: 'ops', roomInfo: 'new "info"' });
    await appendEvent(h.rt, SERVICE_ROOM, 'admin_ban', { userID: 'troll', seconds: 60, scope: 'service' });
    await appendEvent(h.rt, SERVICE_ROOM, 'admin_redrive', { redriven: 2 });
    const events = await all();
    expect(events.find((e) => e.id === id)).toMatchObject({ type: 'admin_info', roomType: 'multi_room', roomID: 'm1', seq: 4, by: 'ops', roomInfo: 'new "info"' });
    expect(events.filter((e) => e.roomType === 'service')).toMatchObject([
      { type: 'admin_ban', roomID: '-', seq: 1, userID: 'troll', seconds: 60, scope: 'service' },
      { type: 'admin_redrive', roomID: '-', seq: 2, redriven: 2 },
    ]);
    // The room goes on counting after the admin's event.
    await a.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    expect((await all()).filter((e) => e.roomID === 'm1').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    await expect(appendEvent(h.rt, SERVICE_ROOM, 'Admin-Kick')).rejects.toThrow(/a-z/);
    await expect(appendEvent(h.rt, SERVICE_ROOM, 'admin_x', { seq: 1 })).rejects.toThrow(/seq/);
    await expect(appendEvent(h.rt, { type: 'service', id: 'x' }, 'admin_x')).rejects.toThrow(/service\/-/);
  });
});

describe('replay (readEvents)', () => {
  it('reads after an id, by room, a page at a time; refuses a bad id or limit with code 1', async () => {
    const [a, b] = await signInAll('a1', 'b1');
    await join(a, 'multi_room', 'r1');
    await join(b, 'multi_room', 'r2');
    await a.call('multi_room', 'delete_pusher', { roomID: 'r1' });
    const events = await all();
    expect(events).toHaveLength(8);

    const page1 = await readEvents(h.rt, { limit: 3 });
    expect(page1.events).toEqual(events.slice(0, 3));
    // N=1: `next` is the last event's id, as ever; N>1: a cursor (partitions.test.ts follows it across partitions).
    expect(page1.next).toEqual(roomPartitions() === 1 ? events[2]!.id : expect.stringMatching(/^c1(\.[0-9a-z]+)+$/));
    const page2 = await readEvents(h.rt, { after: page1.next!, limit: 3 });
    expect(page2.events).toEqual(events.slice(3, 6));
    const rest = await readEvents(h.rt, { after: page2.next!, limit: 100 });
    expect(rest.events).toEqual(events.slice(6));
    const empty = await readEvents(h.rt, { after: rest.next!, limit: 100 });
    expect(empty).toEqual({ events: [], next: rest.next });

    const r1 = await readEvents(h.rt, { room: { type: 'multi_room', id: 'r1' }, limit: 100 });
    expect(r1.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    const r1After = await readEvents(h.rt, { room: { type: 'multi_room', id: 'r1' }, after: r1.events[2]!.id, limit: 1 });
    expect(r1After.events.map((e) => e.seq)).toEqual([4]);
    expect((await readEvents(h.rt, { room: { type: 'multi_room', id: 'nope' }, limit: 10 })).events).toEqual([]);

    await expect(readEvents(h.rt, { after: 'abc', limit: 1 })).rejects.toMatchObject({ code: 1, message: expect.stringMatching(/^after /) });
    await expect(readEvents(h.rt, { limit: 0 })).rejects.toMatchObject({ code: 1, message: expect.stringMatching(/^limit /) });
    await expect(readEvents(h.rt, { limit: 10, room: { type: 'square_room' as 'multi_room', id: 'x' } })).rejects.toMatchObject({ code: 1 });
  });
});

describe('bounds', () => {
  singleLog('keeps at most EVENT_LOG_MAX_LEN events, the newest', async () => {
    await h.reconfigure({ EVENT_LOG_MAX_LEN: '10' });
    const [a] = await signInAll('a1');
    for (let i = 0; i < 5; i++) {
      await join(a, 'multi_room', `m${i}`);
      await a.call('multi_room', 'delete_pusher', { roomID: `m${i}` });
    }
    const events = await all();
    expect(events).toHaveLength(10);
    expect(events.map((e) => `${e.roomID} ${e.seq}`)).toEqual(['m3 1', 'm3 2', 'm3 3', 'm3 4', 'm3 5', 'm4 1', 'm4 2', 'm4 3', 'm4 4', 'm4 5']);
    expect(await h.rt.redis.zcard(eventLogKey(h.prefix))).toBe(10);
  });

  singleLog('drops events older than EVENT_LOG_MAX_AGE_SECONDS on the next append, and in the sweeper when nothing appends', async () => {
    await h.reconfigure({ EVENT_LOG_MAX_AGE_SECONDS: '0.4' });
    const [a] = await signInAll('a1');
    await join(a, 'multi_room', 'old');
    await sleep(500);
    await join(a, 'multi_room', 'new');
    expect((await all()).map((e) => e.roomID)).toEqual(['new', 'new', 'new']);
    await sleep(500);
    const report = await sweep(h.rt);
    expect(report.events).toBe(0);
    expect(await all()).toEqual([]);
    // The room's sequence key outlives its events by the room keys' TTL at least: a reused id still continues.
    expect(Number(await h.rt.redis.pttl(roomSeqKey(h.prefix, 'multi_room', 'old')))).toBeGreaterThan(0);
  });
});

describe(`store: ${STORE}`, () => {
  singleLog('one event log key and one position counter hold the events (memory is bounded by the log)', async () => {
    const [a] = await signInAll('a1');
    await join(a, 'multi_room', 'm1');
    expect(await h.rt.redis.type(eventLogKey(h.prefix))).toBe('zset');
    expect(await h.rt.redis.zrange(eventLogKey(h.prefix), 0, -1, 'WITHSCORES')).toHaveLength(6);
  });
});

describe('parseEventRoom (the admin API room filter)', () => {
  it('reads <roomType>/<roomID> and service/-, refusing anything else with code 1 naming room', () => {
    expect(parseEventRoom('live_room/show/1')).toEqual({ type: 'live_room', id: 'show/1' });
    expect(parseEventRoom('service/-')).toEqual(SERVICE_ROOM);
    for (const bad of ['', 'live_room', '/x', 'live_room/', 'square_room/x', 'service/x']) {
      expect(() => parseEventRoom(bad), bad).toThrow(expect.objectContaining({ code: 1, message: expect.stringMatching(/^room /) }));
    }
  });
});

describe('the position counter', () => {
  singleLog('lost beside a non-empty log (evicted, deleted): the next event continues after the log, never reusing a position', async () => {
    const [a] = await signInAll('a1');
    await join(a, 'multi_room', 'm1');
    await h.rt.redis.del(eventCountKey(h.prefix));
    await a.call('multi_room', 'delete_pusher', { roomID: 'm1' });
    const positions = (await all()).map((e) => Number(e.id.split('-')[1]));
    expect(positions).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('the log agrees with the state', () => {
  it('replaying the events of a random mix of concurrent actions gives exactly the rooms, seats, audiences and custom fields the reads answer', async () => {
    await h.reconfigure({ LIVE_ROOM_MAX_MEMBERS: '3', ROOMS_PER_USER: '100' });
    const users = await Promise.all(['u0', 'u1', 'u2', 'u3', 'u4', 'u5'].map((u) => signIn(u, 'live_room')));
    const rooms = ['r0', 'r1', 'r2'];
    // A fixed pseudo-random sequence (xorshift), so a failure replays the same way.
    let seed = 0x9e3779b9;
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const actions: ((u: Client, roomID: string) => Promise<unknown>)[] = [
      (u, roomID) => join(u, 'live_room', roomID),
      (u, roomID) => join(u, 'live_room', roomID),
      (u, roomID) => u.call('live_room', 'delete_pusher', { roomID }),
      (u, roomID) => u.call('live_room', 'add_audience', { roomID, userInfo: 'i' }),
      (u, roomID) => u.call('live_room', 'delete_audience', { roomID }),
      (u, roomID) => u.call('live_room', 'set_custom_field', { roomID, fieldName: `f${random(3)}`, operation: random(2) ? 'inc' : 'set', value: random(9) }),
      (u, roomID) => u.call('live_room', 'create_room', { roomID }),
      (u, roomID) => u.call('live_room', 'destroy_room', { roomID }),
      (u, roomID) => u.call('live_room', 'pusher_heartbeat', { roomID }),
    ];
    for (let round = 0; round < 40; round++) {
      // Six actions at once per round.
      await Promise.all(users.map((u) => actions[random(actions.length)]!(u, rooms[random(rooms.length)]!)));
    }

    // Replay.
    type Model = { exists: boolean; pushers: Set<string>; audience: Set<string>; custom: Record<string, unknown>; seq: number };
    const model = new Map<string, Model>();
    for (const e of (await readEvents(h.rt, { limit: 1000 })).events) {
      const m = model.get(e.roomID) ?? { exists: false, pushers: new Set<string>(), audience: new Set<string>(), custom: {}, seq: 0 };
      model.set(e.roomID, m);
      expect(e.seq, `${e.roomID} seq`).toBe(m.seq + 1);
      m.seq = e.seq;
      if (e.type === 'room_created') m.exists = true;
      if (e.type === 'pusher_joined') expect(m.pushers.has(e.userID!)).toBe(false), m.pushers.add(e.userID!);
      if (e.type === 'pusher_left') expect(m.pushers.delete(e.userID!), `${e.userID} left ${e.roomID} without having joined`).toBe(true);
      if (e.type === 'audience_joined') expect(m.audience.has(e.userID!)).toBe(false), m.audience.add(e.userID!);
      if (e.type === 'audience_left') expect(m.audience.delete(e.userID!)).toBe(true);
      if (e.type === 'custom_changed') m.custom[e.field as string] = e.value;
      if (e.type === 'room_finished') {
        expect([m.pushers.size, m.audience.size], `${e.roomID} finished with members left`).toEqual([0, 0]);
        Object.assign(m, { exists: false, custom: {} });
      }
    }
    const [reader] = users;
    for (const roomID of rooms) {
      const m = model.get(roomID);
      const pushers = await reader!.call('live_room', 'get_pushers', { roomID });
      const exists = (await h.rt.redis.exists(roomKeys(h.prefix, 'live_room', roomID).room)) === 1;
      expect(exists, `${roomID} exists`).toBe(m?.exists ?? false);
      if (pushers.body.code === 0) {
        expect(((pushers.body.pushers as { userID: string }[]).map((p) => p.userID)).sort(), `${roomID} pushers`).toEqual([...m!.pushers].sort());
        expect(JSON.parse(pushers.body.custom as string), `${roomID} custom`).toEqual(m!.custom);
        const audience = await reader!.call('live_room', 'get_audiences', { roomID });
        expect(((audience.body.audiences as { userID: string }[]).map((a) => a.userID)).sort(), `${roomID} audience`).toEqual([...m!.audience].sort());
      } else {
        expect(m?.pushers.size ?? 0, `${roomID} has no seats`).toBe(0);
      }
    }
    expect([...model.values()].some((m) => m.seq > 10)).toBe(true);
  });
});
