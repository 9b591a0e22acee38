import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sweep } from '../../shared/rooms/sweeper';
import { sleep, pushUrlFor, signIn, signInAll, startHarness, stateKeys, type Client, type Harness } from '../support/harness';
import { roomKeys, roomSeqKey } from '../../shared/rooms/keys';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ HEARTBEAT_TIMEOUT: '0.4', ROOM_IDLE_TIMEOUT: '0.4' });
});
afterAll(async () => h.close());
beforeEach(async () => {
  await h.reconfigure({});
  await h.clean();
  h.fake.reset();
});

const join = (c: Client, type: string, roomID: string, extra: Record<string, unknown> = {}) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId.toUpperCase(), userAvatar: `https://a/${c.userId}.png`, pushURL: pushUrlFor(c.userId), ...extra });
const notificationsFor = (roomId: string) => h.fake.notifications.filter((n) => n.groupId === roomId).length;

describe('multi_room lifecycle', () => {
  it('creates, fills, refuses a third pusher and lists the room', async () => {
    const [alice, bob, carol] = await signInAll('alice', 'bob', 'carol');
    await h.reconfigure({ MULTI_ROOM_MAX_MEMBERS: '2', HEARTBEAT_TIMEOUT: '5' });
    const created = await alice.call('multi_room', 'create_room', { roomInfo: 'standup' });
    const roomID = created.body.roomID as string;
    expect(created.body.code).toBe(0);
    expect(roomID).toMatch(/^room_[0-9a-f]{8}_[0-9a-f]{4}$/);
    expect(h.fake.groups.has(roomID)).toBe(true);
    // Created but never entered: invisible.
    expect((await alice.call('multi_room', 'get_pushers', { roomID })).body.code).toBe(3);

    expect((await join(alice, 'multi_room', roomID)).body.code).toBe(0);
    expect((await join(bob, 'multi_room', roomID)).body.code).toBe(0);
    expect((await join(carol, 'multi_room', roomID)).body.code).toBe(5001);

    const detail = await carol.call('multi_room', 'get_pushers', { roomID });
    expect(detail.body).toMatchObject({ code: 0, roomID, roomInfo: 'standup', roomCreator: 'alice', custom: '{}' });
    expect((detail.body.pushers as { userID: string }[]).map((p) => p.userID).sort()).toEqual(['alice', 'bob']);
    expect(JSON.stringify(detail.body)).not.toContain('txSecret=' + pushUrlFor('alice').split('txSecret=')[1]);
    expect(detail.body.mixedPlayURL).toBe('https://8888.liveplay.myqcloud.com/live/8888_alice_ab12.flv');

    const list = await carol.call('multi_room', 'get_room_list', { index: 0, cnt: 10 });
    expect((list.body.rooms as { roomID: string }[]).map((r) => r.roomID)).toEqual([roomID]);
    expect(notificationsFor(roomID)).toBe(2); // alice entering the created room, then bob
  });

  it('reaps a silent pusher within the heartbeat timeout plus a sweep, notifying the others', async () => {
    // 1 s, not 0.4 s: alice must stay live through the reads and two sweeps below, also on a busy machine.
    await h.reconfigure({ HEARTBEAT_TIMEOUT: '1' });
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'multi_room', 'r1');
    await join(bob, 'multi_room', 'r1');
    const before = notificationsFor('r1');
    // Alice keeps beating, bob goes silent.
    for (let i = 0; i < 8; i++) {
      await sleep(150);
      expect((await alice.call('multi_room', 'pusher_heartbeat', { roomID: 'r1' })).body.code).toBe(0);
    }
    // Gone from reads before any sweep.
    const read = await alice.call('multi_room', 'get_pushers', { roomID: 'r1' });
    expect((read.body.pushers as { userID: string }[]).map((p) => p.userID)).toEqual(['alice']);
    expect((await bob.call('multi_room', 'pusher_heartbeat', { roomID: 'r1' })).body.code).toBe(5);
    await sweep(h.rt);
    expect(notificationsFor('r1')).toBe(before + 1);
    await sweep(h.rt);
    expect(notificationsFor('r1')).toBe(before + 1);
    expect(await h.rt.redis.hkeys(roomKeys(h.prefix, 'multi_room', 'r1').pushers)).toEqual(['alice']);
  });

  it("refuses a push URL of someone else's stream, even when correctly signed", async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    await join(alice, 'multi_room', 'r2');
    const hijack = await bob.call('multi_room', 'add_pusher', { roomID: 'r2', pushURL: pushUrlFor('alice') });
    expect(hijack.body.code).toBe(1);
    expect(hijack.body.message).toMatch(/pushURL is not the caller's stream/);
    expect(await h.rt.redis.hkeys(roomKeys(h.prefix, 'multi_room', 'r2').pushers)).toEqual(['alice']);
  });

  it('reclaims a room nobody entered and destroys its group', async () => {
    const alice = await signIn('alice');
    const { body } = await alice.call('double_room', 'create_room', { roomID: 'idle1' });
    expect(body).toMatchObject({ code: 0, roomID: 'idle1' });
    expect((await alice.call('double_room', 'create_room', { roomID: 'idle1' })).body).toMatchObject({ code: 11, roomID: 'idle1' });
    await sleep(450);
    await sweep(h.rt);
    expect(h.fake.groups.has('idle1')).toBe(false);
    expect(await h.rt.redis.exists(roomKeys(h.prefix, 'double_room', 'idle1').room)).toBe(0);
  });

  it('ends a live room when its creator leaves, and keeps audience counts exact', async () => {
    const [host, guest, viewer] = await signInAll('host', 'guest', 'viewer');
    await h.reconfigure({ HEARTBEAT_TIMEOUT: '5' });
    expect((await join(host, 'live_room', 'show')).body).toMatchObject({ code: 0, roomID: 'show' });
    await join(guest, 'live_room', 'show');
    await viewer.call('live_room', 'add_audience', { roomID: 'show', userInfo: '{"name":"v"}' });
    await viewer.call('live_room', 'add_audience', { roomID: 'show', userInfo: '{"name":"v2"}' });
    await guest.call('live_room', 'delete_audience', { roomID: 'show' });
    const audiences = await host.call('live_room', 'get_audiences', { roomID: 'show' });
    expect(audiences.body).toMatchObject({ code: 0, audienceCount: 1, audiences: [{ userID: 'viewer', userInfo: '{"name":"v2"}' }] });
    expect((await host.call('live_room', 'get_pushers', { roomID: 'show' })).body.audienceCount).toBe(1);

    await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc' });
    await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'likes', operation: 'inc' });
    await host.call('live_room', 'set_custom_field', { roomID: 'show', fieldName: 'topic', operation: 'set', value: 'cats' });
    const custom = await host.call('live_room', 'get_custom_info', { roomID: 'show' });
    expect(JSON.parse(custom.body.custom as string)).toEqual({ likes: 2, topic: 'cats' });

    expect((await host.call('live_room', 'delete_pusher', { roomID: 'show' })).body.code).toBe(0);
    expect(h.fake.groups.has('show')).toBe(false);
    // Only the room's event sequence outlives it (so a reused id continues it; shared/rooms/lua/helpers/events.lua).
    const left = (await stateKeys(h.rt, h.prefix)).filter((k) => k.includes(':live_room:') && k.endsWith(':show'));
    expect(left).toEqual([roomSeqKey(h.prefix, 'live_room', 'show')]);
    expect(await h.rt.redis.pttl(left[0]!)).toBeGreaterThan(0);
    expect((await guest.call('live_room', 'get_pushers', { roomID: 'show' })).body.code).toBe(3);
  });
});
