/**
 * ROOM_PARTITIONS > 1 behaviour by name (docs/data-layout.md): this file runs
 * with 4 partitions when the process has one (and with the cluster run's 48
 * there), picking room ids that land in different partitions, so each check
 * crosses partitions for sure.
 */
import { describe, expect, it } from 'vitest';
import { allPartitions, partitionOf, roomPartitions, sessionKey } from '../../shared/rooms/keys';
import { setRoomPartitions } from '../../shared/rooms/partitions';
import { readEvents, type RoomEvent } from '../../shared/events/log';
import { readLatestEvents } from '../../shared/events/latest';
import { RoomStore } from '../../shared/rooms/store';
import { sweep } from '../../shared/rooms/sweeper';
import { harnessPerFile, invoke, pushUrlFor, signIn, signInAll, sleep, stateKeys, type Client, type Harness } from '../support/harness';

if (roomPartitions() === 1) setRoomPartitions(4);

let h: Harness;
harnessPerFile((started) => (h = started));

/** `n` room ids (`<stem><i>`), each in a partition none of the others is in. */
function spreadIds(stem: string, n: number): string[] {
  const seen = new Set<number>();
  const ids: string[] = [];
  for (let i = 0; ids.length < n; i++) {
    const id = `${stem}${i}`;
    if (seen.has(partitionOf(id))) continue;
    seen.add(partitionOf(id));
    ids.push(id);
  }
  return ids;
}

const join = (c: Client, roomID: string) => c.call('multi_room', 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });

describe(`ROOM_PARTITIONS=${roomPartitions()}`, () => {
  it('a session is in every partition; logout removes it everywhere and its token is refused in rooms of any partition', async () => {
    const [alice, bob] = await signInAll('alice', 'bob');
    const rooms = spreadIds('lo', 3);
    for (const roomID of rooms) expect((await join(bob, roomID)).body.code).toBe(0);
    for (const roomID of rooms) expect((await alice.call('multi_room', 'get_pushers', { roomID })).body.code).toBe(0);
    // Session keys per partition (alice's and bob's copies).
    const perPartition = async () => {
      const keys = (await stateKeys(h.rt, h.prefix)).filter((k) => /:s:/.test(k));
      return allPartitions().map((p) => keys.filter((k) => k.startsWith(sessionKey(h.prefix, '', p))).length);
    };
    expect(await perPartition()).toEqual(allPartitions().map(() => 2));
    expect((await alice.call('multi_room', 'logout')).body.code).toBe(0);
    for (const roomID of rooms) expect((await alice.call('multi_room', 'get_pushers', { roomID })).body.code).toBe(7);
    expect(await perPartition()).toEqual(allPartitions().map(() => 1));
  });

  it('a service ban holds in rooms of every partition, is listed once, and lifting it frees every partition', async () => {
    const [mallory, host] = await signInAll('mallory', 'host');
    const rooms = spreadIds('ban', 3);
    for (const roomID of rooms) expect((await join(host, roomID)).body.code).toBe(0);
    await h.rt.admin.ban('mallory', Date.now() + 60_000);
    for (const roomID of rooms) expect((await join(mallory, roomID)).body).toMatchObject({ code: 7 });
    expect((await h.rt.admin.bans()).filter((b) => b.userID === 'mallory')).toHaveLength(1);
    expect(await h.rt.admin.unban('mallory')).toBe(true);
    for (const roomID of rooms) expect((await join(mallory, roomID)).body.code).toBe(0);
  });

  it('ROOMS_PER_USER holds across partitions under concurrent creates, and an ended room frees its place', async () => {
    await h.reconfigure({ ROOMS_PER_USER: '2' });
    const owner = await signIn('owner');
    const rooms = spreadIds('own', Math.min(8, roomPartitions()));
    const answers = await Promise.all(rooms.map((roomID) => owner.call('multi_room', 'create_room', { roomID, roomInfo: 'x' })));
    const created = answers.filter((a) => a.body.code === 0).map((a) => a.body.roomID as string);
    expect(created).toHaveLength(2);
    expect(answers.filter((a) => a.body.code !== 0).every((a) => a.body.code === 5006)).toBe(true);
    expect((await owner.call('multi_room', 'destroy_room', { roomID: created[0] })).body.code).toBe(0);
    const again = rooms.find((r) => !created.includes(r))!;
    expect((await owner.call('multi_room', 'create_room', { roomID: again, roomInfo: 'x' })).body.code).toBe(0);
    expect((await owner.call('multi_room', 'create_room', { roomID: `${again}-more`, roomInfo: 'x' })).body.code).toBe(5006);
  });

  it('get_room_list merges the partitions in creation order, page by page', async () => {
    const rooms = spreadIds('list', Math.min(6, roomPartitions())).concat(spreadIds('more', Math.min(3, roomPartitions())));
    const users = await Promise.all(rooms.map((_, i) => signIn(`lister${i}`)));
    for (const [i, roomID] of rooms.entries()) {
      expect((await join(users[i]!, roomID)).body.code).toBe(0);
      await sleep(2); // distinct creation times
    }
    const list = async (index: number, cnt: number) =>
      ((await users[0]!.call('multi_room', 'get_room_list', { index, cnt })).body.rooms as { roomID: string }[]).map((r) => r.roomID);
    expect(await list(0, 100)).toEqual(rooms);
    const paged: string[] = [];
    for (let index = 0; index < rooms.length; index += 2) paged.push(...(await list(index, 2)));
    expect(paged).toEqual(rooms);
  });

  it('replay merges the partitions\' logs: each room in seq order, pages after `next` add up to one read, ids name their partition', async () => {
    const rooms = spreadIds('log', 3);
    const [a, b] = await signInAll('la', 'lb');
    for (const roomID of rooms) {
      expect((await join(a, roomID)).body.code).toBe(0);
      expect((await join(b, roomID)).body.code).toBe(0);
    }
    const all = (await readEvents(h.rt, { limit: 1000 })).events;
    for (const roomID of rooms) {
      const seqs = all.filter((e) => e.roomID === roomID).map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(all.find((e) => e.roomID === roomID)!.id).toMatch(new RegExp(`^${partitionOf(roomID)}\\.\\d+-\\d+$`));
    }
    const paged: RoomEvent[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await readEvents(h.rt, { after, limit: 3 });
      paged.push(...page.events);
      if (page.events.length === 0) break;
      after = page.next!;
    }
    expect(paged).toEqual(all);
  });

  it('a reader following `next` gets every event exactly once, even one appended later in another partition with a smaller position', async () => {
    const [ahead, behind] = spreadIds('skew', 2) as [string, string];
    // Two processes' clocks: `ahead`'s partition appends at t0 + 5 s, `behind`'s at t0 (its position is smaller).
    const t0 = Date.now();
    const clocked = (at: number) => new RoomStore(h.rt.redis, h.prefix, h.rt.config.rooms, undefined, () => at, h.rt.config.eventLog);
    const seen: RoomEvent[] = [];
    const follow = async (after: string | undefined): Promise<string> => {
      for (;;) {
        const page = await readEvents(h.rt, { after, limit: 2 });
        seen.push(...page.events);
        after = page.next!;
        if (page.events.length === 0) return after;
      }
    };
    await clocked(t0).appendEvent('multi_room', behind, 'admin_info', { reason: 'b1' });
    await clocked(t0 + 5_000).appendEvent('multi_room', ahead, 'admin_info', { reason: 'a1' });
    let next = await follow(undefined);
    expect(next).toMatch(/^c1(\.[0-9a-z]+)+$/);
    expect(next.split('.')).toHaveLength(roomPartitions() + 1);
    // Appended after the reader passed t0 + 5 s, at t0 + 1 ms: a smaller position than `a1`'s.
    const late = await clocked(t0 + 1).appendEvent('multi_room', behind, 'admin_info', { reason: 'b2' });
    expect(Number(late.split('-')[1])).toBeLessThan(Number(seen.find((e) => e.reason === 'a1')!.id.split('-')[1]));
    await clocked(t0 + 5_001).appendEvent('multi_room', ahead, 'admin_info', { reason: 'a2' });
    next = await follow(next);
    await clocked(t0 + 2).appendEvent('multi_room', behind, 'admin_info', { reason: 'b3' });
    await follow(next);
    expect(seen.map((e) => e.reason)).toEqual(['b1', 'a1', 'b2', 'a2', 'b3']);
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);

    // The newest-events read (the dashboard's start) answers a cursor too: following it, the late append is not skipped.
    const latest = await readLatestEvents(h.rt, { limit: 1 });
    expect(latest.events.map((e) => e.reason)).toEqual(['a2']);
    expect(latest.next).toMatch(/^c1\./);
    await clocked(t0 + 3).appendEvent('multi_room', behind, 'admin_info', { reason: 'b4' });
    expect((await readEvents(h.rt, { after: latest.next!, limit: 10 })).events.map((e) => e.reason)).toEqual(['b4']);
    // With a room filter it still covers every partition: following it without the filter reads only what came after.
    const ofAhead = await readLatestEvents(h.rt, { room: { type: 'multi_room', id: ahead }, limit: 10 });
    expect(ofAhead.events.map((e) => e.reason)).toEqual(['a1', 'a2']);
    expect((await readEvents(h.rt, { after: ofAhead.next!, limit: 10 })).events).toEqual([]);

    // An event id still works as `after` (by position, best effort across partitions).
    const byId = await readEvents(h.rt, { after: seen.find((e) => e.reason === 'a1')!.id, limit: 10 });
    expect(byId.events.map((e) => e.reason)).toEqual(['a2']);
  });

  it('GET /admin/events answers the cursor as next, takes it back as after, and refuses a malformed one naming after', async () => {
    const KEY = 'admin-key-partitions-0123456789-abcdefghij';
    await h.reconfigure({ ADMIN_API_KEY: KEY });
    const get = async (query: Record<string, string>) => {
      const answer = await invoke('/admin/events', { method: 'GET', headers: { authorization: `Bearer ${KEY}` }, query });
      return answer as typeof answer & { body: { events: RoomEvent[]; next: string | null } };
    };
    const [roomID] = spreadIds('cur', 1) as [string];
    await new RoomStore(h.rt.redis, h.prefix, h.rt.config.rooms).appendEvent('multi_room', roomID, 'admin_info');
    const first = await get({ limit: '10' });
    expect(first.body).toMatchObject({ code: 0, events: [{ type: 'admin_info', roomID }] });
    expect(first.body.next).toMatch(/^c1\./);
    expect((await get({ after: first.body.next! })).body).toMatchObject({ code: 0, events: [], next: first.body.next });
    const latest = await get({ last: 'true' });
    expect(latest.body.next).toBe(first.body.next);
    const zeros = Array.from({ length: roomPartitions() }, () => '0');
    for (const bad of ['c1', 'c1.', `c1.${zeros.slice(1).join('.') || 'x.y'}`, `c1.${[...zeros, '0'].join('.')}`, `c1.${zeros.join('.').replace(/^0/, 'Z')}`, 'c2.0', `c1.${zeros.join('.').replace(/^0/, 'zzzzzzzzzzz')}`]) {
      const answer = await get({ after: bad });
      expect(answer.status, bad).toBe(400);
      expect(answer.body, bad).toMatchObject({ code: 1, message: expect.stringMatching(/^after /) });
    }
  });

  it('the sweeper reaps silent pushers in every partition in one run', async () => {
    await h.reconfigure({ HEARTBEAT_TIMEOUT: '1' });
    const rooms = spreadIds('sweep', 3);
    const users = await Promise.all(rooms.map((_, i) => signIn(`silent${i}`)));
    for (const [i, roomID] of rooms.entries()) expect((await join(users[i]!, roomID)).body.code).toBe(0);
    await sleep(1_100);
    await sweep(h.rt);
    for (const roomID of rooms) expect((await users[0]!.call('multi_room', 'get_pushers', { roomID })).body.code).toBe(3);
    const left = (await readEvents(h.rt, { limit: 1000 })).events.filter((e) => e.type === 'pusher_left');
    expect(left.map((e) => e.roomID).sort()).toEqual([...rooms].sort());
  });
});
