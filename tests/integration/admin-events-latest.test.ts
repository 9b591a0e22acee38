/**
 * `GET /admin/events?last=true`: the newest events, for a reader that starts at
 * the present (the ops dashboard), then follows the log with `after`. Runs on
 * both stores (the embedded one must read the sorted set backwards alike).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roomPartitions } from '../../shared/rooms/keys';
import { invoke, pushUrlFor, signInAll, startHarness, type Harness } from '../support/harness';

const KEY = 'admin-key-latest-0123456789-abcdefghijklmnop';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ ADMIN_API_KEY: KEY });
});
afterAll(async () => h.close());

type Event = { id: string; type: string; roomType: string; roomID: string; seq: number; userID?: string };
async function events(query: Record<string, string>) {
  const answer = await invoke('/admin/events', { method: 'GET', headers: { authorization: `Bearer ${KEY}` }, query });
  return answer as typeof answer & { body: { events: Event[]; next: string | null } };
}

describe('GET /admin/events?last=true', () => {
  it('answers the newest events in log order, of one room if asked, and a next that follows only what comes after', async () => {
    expect((await events({ last: 'true' })).body).toMatchObject({ code: 0, events: [], next: null });

    const [alice, bob] = await signInAll('alice', 'bob');
    for (const [who, roomID] of [[alice!, 'first'], [bob!, 'second']] as const) {
      expect((await who.call('multi_room', 'create_room', { roomID })).body.code).toBe(0);
      expect((await who.call('multi_room', 'add_pusher', { roomID, userName: who.userId, userAvatar: '', pushURL: pushUrlFor(who.userId) })).body.code).toBe(0);
    }
    const all = (await events({ limit: '1000' })).body.events;
    expect(all.length).toBeGreaterThanOrEqual(4);

    const newest = await events({ last: 'true', limit: '2' });
    expect(newest.body.events).toEqual(all.slice(-2));
    // N=1: the newest id; N>1: a cursor of every partition's newest position.
    expect(newest.body.next).toEqual(roomPartitions() === 1 ? all.at(-1)!.id : expect.stringMatching(/^c1\./));

    // With a room filter: that room's newest, and next is still the log's newest (nothing to scan twice).
    const first = await events({ last: 'true', room: 'multi_room/first', limit: '1000' });
    expect(first.body.events).toEqual(all.filter((e) => e.roomID === 'first'));
    expect(first.body.events.map((e) => e.seq)).toEqual(first.body.events.map((_, i) => i + 1));
    expect(first.body.next).toBe(newest.body.next);

    // Following with after: exactly the events appended since.
    expect((await events({ after: newest.body.next! })).body.events).toEqual([]);
    expect((await alice!.call('multi_room', 'delete_pusher', { roomID: 'first' })).body.code).toBe(0);
    const since = (await events({ after: newest.body.next! })).body.events;
    expect(since.map((e) => [e.type, e.roomID])).toEqual(expect.arrayContaining([['pusher_left', 'first']]));
    expect(since.every((e) => e.roomID === 'first')).toBe(true);
  });

  it('refuses last together with after, naming the field', async () => {
    const answer = await events({ last: 'true', after: '1733356800000-1' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 1, message: 'last cannot be combined with after' });
    expect((await events({ last: 'yes' })).body.code).toBe(1);
  });
});
