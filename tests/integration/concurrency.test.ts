/**
 * Seats, counters and the audience cap under concurrent requests, through the
 * handler path (router -> endpoint -> Lua) with many distinct signed-in users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE, pushUrlFor, signIn, startHarness, type Answer, type Client, type Harness } from '../support/harness';
import { roomKeys } from '../../shared/rooms/keys';

const USERS = 200;
const SEATS = 4;
// The embedded store runs one script at a time by construction; a few rounds show it, 20 would cost ~25 s.
const ROUNDS = STORE === 'embedded' ? 3 : 20;

let h: Harness;
let users: Client[];

beforeAll(async () => {
  h = await startHarness({
    MULTI_ROOM_MAX_MEMBERS: String(SEATS),
    LIVE_ROOM_MAX_AUDIENCES: '30',
    // Nobody may time out mid-test; 200 parallel IM calls must not hit the client timeout.
    HEARTBEAT_TIMEOUT: '120',
    ROOM_IDLE_TIMEOUT: '120',
    IM_TIMEOUT_MS: '5000',
    // users[0] creates a room every round.
    ROOMS_PER_USER: '100',
  });
  users = [];
  for (let i = 0; i < USERS; i += 50) {
    users.push(...(await Promise.all(Array.from({ length: Math.min(50, USERS - i) }, (_, j) => signIn(`user${String(i + j).padStart(3, '0')}`)))));
  }
}, 30_000);
afterAll(async () => h.close());

const codesOf = (answers: Answer[]) => {
  const tally: Record<number, number> = {};
  for (const a of answers) tally[a.body.code] = (tally[a.body.code] ?? 0) + 1;
  return tally;
};
const join = (c: Client, type: string, roomID: string) =>
  c.call(type, 'add_pusher', { roomID, userName: c.userId, userAvatar: '', pushURL: pushUrlFor(c.userId) });

describe('concurrent requests', () => {
  it(`${USERS} simultaneous add_pusher on a ${SEATS}-seat multi room seat exactly ${SEATS}, ${ROUNDS} rounds`, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const roomID = `race${round}`;
      // Even rounds race into a room made by create_room; odd rounds race to create it.
      const precreated = round % 2 === 0;
      if (precreated) expect((await users[0]!.call('multi_room', 'create_room', { roomID })).body.code).toBe(0);
      const notificationsBefore = h.fake.notifications.length;

      const answers = await Promise.all(users.map((u) => join(u, 'multi_room', roomID)));

      expect(codesOf(answers), `round ${round}`).toEqual({ 0: SEATS, 5001: USERS - SEATS });
      const seated = users.filter((_, i) => answers[i]!.body.code === 0).map((u) => u.userId).sort();
      const detail = await users[0]!.call('multi_room', 'get_pushers', { roomID });
      expect((detail.body.pushers as { userID: string }[]).map((p) => p.userID).sort()).toEqual(seated);
      expect(await h.rt.redis.hlen(roomKeys(h.prefix, 'multi_room', roomID).pushers)).toBe(SEATS);
      expect(await h.rt.redis.zcard(roomKeys(h.prefix, 'multi_room', roomID).beats)).toBe(SEATS);
      // Exactly one caller created the room when it was missing; every other seat notified once.
      const creators = answers.filter((a) => a.body.roomID === roomID).length;
      expect(creators).toBe(precreated ? 0 : 1);
      expect(h.fake.notifications.length - notificationsBefore).toBe(SEATS - creators);
      outcomes.push(`${seated.length} seated / ${answers.filter((a) => a.body.code === 5001).length} x 5001 / ${creators} creator`);
    }
    const distinct = [...new Set(outcomes)].map((o) => `${outcomes.filter((x) => x === o).length} rounds: ${o}`);
    console.log(`add_pusher race, ${ROUNDS} rounds x ${USERS} users (even rounds pre-created, odd rounds created in the race): ${distinct.join('; ')}`);
  }, 30_000);

  it('50 concurrent inc on a custom counter count to exactly 50, each answer a distinct step', async () => {
    // Only pushers may write fields: four hosts send the 50 incs between them.
    for (const host of users.slice(0, 4)) expect((await join(host, 'live_room', 'counter')).body.code).toBe(0);

    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => users[i % 4]!.call('live_room', 'set_custom_field', { roomID: 'counter', fieldName: 'likes', operation: 'inc' })));

    expect(codesOf(answers)).toEqual({ 0: 50 });
    const steps = answers.map((a) => (JSON.parse(a.body.custom as string) as { likes: number }).likes).sort((a, b) => a - b);
    expect(steps).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const info = await users[0]!.call('live_room', 'get_custom_info', { roomID: 'counter' });
    expect(JSON.parse(info.body.custom as string)).toEqual({ likes: 50 });
  });

  it('100 concurrent add_audience with a cap of 30 admit exactly 30', async () => {
    expect((await join(users[0]!, 'live_room', 'stage')).body.code).toBe(0);
    const crowd = users.slice(100, 200);

    const answers = await Promise.all(crowd.map((u) => u.call('live_room', 'add_audience', { roomID: 'stage', userInfo: u.userId })));

    expect(codesOf(answers)).toEqual({ 0: 30, 1: 70 });
    const admitted = crowd.filter((_, i) => answers[i]!.body.code === 0).map((u) => u.userId).sort();
    const list = await users[0]!.call('live_room', 'get_audiences', { roomID: 'stage' });
    expect(list.body.audienceCount).toBe(30);
    expect((list.body.audiences as { userID: string }[]).map((a) => a.userID).sort()).toEqual(admitted);
    expect((await users[0]!.call('live_room', 'get_pushers', { roomID: 'stage' })).body.audienceCount).toBe(30);
    expect(await h.rt.redis.hlen(roomKeys(h.prefix, 'live_room', 'stage').audience)).toBe(30);
  });
});
