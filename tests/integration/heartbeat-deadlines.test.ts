/**
 * What the lean heartbeat (heartbeat-4.lua) leaves to others, checked on a
 * clock the test moves: it never touches the deadline index, so the sweeper
 * finds rooms due before anyone is overdue and must only move them on; and it
 * looks at the backstop TTLs only when the seat's deadline crosses a 20 s mark,
 * which must still keep a used room's keys alive.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoomType } from '../../shared/config';
import { eventLogKey, ownedRoomsBase, partitionOf, roomKeys } from '../../shared/rooms/keys';
import { RoomStore } from '../../shared/rooms/store';
import { sweep } from '../../shared/rooms/sweeper';
import { installRuntime, type Runtime } from '../../shared/runtime';
import { pushUrlFor, signInAll, startHarness, type Client, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HEARTBEAT_TIMEOUT: '10' });
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({});
  await h.clean();
  h.fake.reset();
});

const join = (c: Client, type: RoomType, roomID: string) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: `https://a/${c.userId}.png`, pushURL: pushUrlFor(c.userId) });
const beat = (c: Client, type: RoomType, roomID: string) => c.call(type, 'pusher_heartbeat', { roomID, userID: c.userId });
const notificationsFor = (roomId: string) => h.fake.notifications.filter((n) => n.groupId === roomId).length;

/** The harness runtime with its room store on `clock` (the store takes `now` for this). */
function onClock(clock: { now: number }): Runtime {
  const rt: Runtime = { ...h.rt, rooms: new RoomStore(h.rt.redis, h.prefix, h.rt.config.rooms, h.rt.config.rateLimit, () => clock.now, h.rt.config.eventLog) };
  installRuntime(rt);
  return rt;
}

describe.each(['double_room', 'multi_room', 'live_room'] as const)('%s: the deadline index after heartbeats', (type) => {
  it('stays at the earlier deadline; come due with nobody overdue, the sweeper moves it on and tells nobody', async () => {
    const roomID = `beating-${type}`;
    const clock = { now: Date.now() };
    const rt = onClock(clock);
    const keys = roomKeys(h.prefix, type, roomID);
    const [alice, bob] = await signInAll('alice', 'bob');
    expect((await join(alice, type, roomID)).body.code).toBe(0);
    expect((await join(bob, type, roomID)).body.code).toBe(0);
    const joinedDeadline = Number(await h.rt.redis.zscore(keys.due, roomID));
    expect(joinedDeadline).toBe(clock.now + 10_000);

    clock.now += 6000;
    expect((await beat(alice, type, roomID)).body.code).toBe(0);
    expect((await beat(bob, type, roomID)).body.code).toBe(0);
    expect(Number(await h.rt.redis.zscore(keys.due, roomID))).toBe(joinedDeadline);

    clock.now += 5000; // past the index's entry, before either seat's deadline
    const events = await h.rt.redis.zcard(eventLogKey(h.prefix, partitionOf(roomID)));
    const notified = notificationsFor(roomID);
    await sweep(rt);
    expect((await h.rt.redis.hkeys(keys.pushers)).sort()).toEqual(['alice', 'bob']);
    expect(Number(await h.rt.redis.zscore(keys.due, roomID))).toBe(Number((await h.rt.redis.zrange(keys.beats, 0, 0, 'WITHSCORES'))[1]));
    expect(Number(await h.rt.redis.zscore(keys.due, roomID))).toBeGreaterThan(clock.now);
    expect(await h.rt.redis.zcard(eventLogKey(h.prefix, partitionOf(roomID)))).toBe(events);
    expect(notificationsFor(roomID)).toBe(notified);

    // Bob goes quiet: at his own deadline the sweeper reaps him, not before.
    clock.now += 4000;
    expect((await beat(alice, type, roomID)).body.code).toBe(0);
    clock.now += 1500;
    await sweep(rt);
    expect(await h.rt.redis.hkeys(keys.pushers)).toEqual(['alice']); // alice created it: bob's silence ends only his seat
    expect(notificationsFor(roomID)).toBe(notified + 1);
    expect((await beat(bob, type, roomID)).body.code).toBe(5);
  });
});

describe('the backstop TTLs of a room while its seats beat', () => {
  it('are refreshed by a beat whose deadline crosses a 20 s mark once they fell under timeout + 30 s, and left alone otherwise', async () => {
    const roomID = 'kept';
    // Just after a 20 s mark, so the first beats' deadlines stay before the next one.
    const mark = Math.floor(Date.now() / 20_000) * 20_000 + 20_000;
    const clock = { now: mark + 1000 };
    onClock(clock);
    const keys = roomKeys(h.prefix, 'multi_room', roomID);
    const [alice] = await signInAll('alice');
    expect((await join(alice, 'multi_room', roomID)).body.code).toBe(0); // deadline mark + 11 s
    const owned = ownedRoomsBase(h.prefix, partitionOf(roomID)) + 'alice';
    const roomKeyList = [keys.room, keys.pushers, keys.beats];
    for (const key of [...roomKeyList, owned]) await h.rt.redis.pexpire(key, 25_000); // under 10 s + 30 s

    clock.now += 2000; // deadline mark + 13 s: no mark crossed
    expect((await beat(alice, 'multi_room', roomID)).body.code).toBe(0);
    for (const key of roomKeyList) expect(await h.rt.redis.pttl(key), key).toBeLessThanOrEqual(25_000);

    clock.now += 8000; // deadline mark + 21 s: crosses mark + 20 s
    expect((await beat(alice, 'multi_room', roomID)).body.code).toBe(0);
    const backstop = 30_000 + 60_000; // max(heartbeat 10 s, idle 30 s) + 60 s
    for (const key of [...roomKeyList, owned]) {
      const ttl = await h.rt.redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(backstop - 5000);
      expect(ttl, key).toBeLessThanOrEqual(backstop);
    }

    // Refreshed TTLs well above timeout + 30 s are left alone by the next crossing.
    for (const key of roomKeyList) await h.rt.redis.pexpire(key, 60_000);
    clock.now += 9000; // deadline mark + 30 s
    expect((await beat(alice, 'multi_room', roomID)).body.code).toBe(0);
    clock.now += 9000; // deadline mark + 39 s
    expect((await beat(alice, 'multi_room', roomID)).body.code).toBe(0);
    clock.now += 3000; // deadline mark + 42 s: crosses mark + 40 s with 60 s left
    expect((await beat(alice, 'multi_room', roomID)).body.code).toBe(0);
    for (const key of roomKeyList) expect(await h.rt.redis.pttl(key), key).toBeLessThanOrEqual(60_000);
  });
});
