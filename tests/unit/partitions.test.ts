/**
 * ROOM_PARTITIONS (shared/rooms/partitions.ts, keys.ts): the partition of an
 * id, the spread of the partitions' hash tags over the Cluster's slots, and
 * that every room script's KEYS fall in one slot whatever the partition.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { ConfigError, ROOM_TYPES, loadConfig } from '../../shared/config';
import { crc16Slot } from '../../shared/rooms/crc16';
import { keysFor, roomKeys, sessionKey, userSessionsKey, homeRoomsKey, type KeyName } from '../../shared/rooms/keys';
import { partitionOf, partitionTag, roomPartitions, setRoomPartitions } from '../../shared/rooms/partitions';
import { SCRIPTS } from '../../shared/rooms/scripts';
import { assertOneSlot } from '../../shared/rooms/store';

// ioredis's own key slot function (untyped package), the reference for ours.
const clusterKeySlot = createRequire(`${process.cwd()}/`)('cluster-key-slot') as (key: string) => number;
const initial = roomPartitions();
afterAll(() => setRoomPartitions(initial));

/** Masters holding equal contiguous slot ranges (what `redis-cli --cluster create` makes). */
const masterOf = (slot: number, masters: number) => Math.min(masters - 1, Math.floor((slot * masters) / 16384));

describe('partitions', () => {
  it('one partition keeps the single {rooms} slot and today\'s names', () => {
    setRoomPartitions(1);
    expect(partitionTag(0)).toBe('rooms');
    expect(partitionOf('anything')).toBe(0);
    expect(roomKeys('rs', 'multi_room', 'm1').room).toBe('rs:{rooms}:multi_room:r:m1');
    expect(sessionKey('rs', 'abc')).toBe('rs:{rooms}:s:abc');
  });

  it('our CRC16 is Redis Cluster\'s key slot', () => {
    for (const key of ['rooms', 'rs:{rooms}:x', 'rooms.7.12', 'a{}b', '{user1000}.following', '中文']) expect(crc16Slot(key)).toBe(clusterKeySlot(key));
  });

  // N a multiple of M balances M masters exactly; otherwise shares differ by one partition (N=16: 5/6/5, a 6/16 share is 12.5% over a third).
  it.each([[15, 0], [48, 0], [96, 0], [16, 1]])('N=%i: one tag per N-th of the slots; 3 masters hold N/3 partitions each, off by at most %i', (n, off) => {
    setRoomPartitions(n);
    const slots = Array.from({ length: n }, (_, k) => crc16Slot(partitionTag(k)));
    slots.forEach((slot, k) => {
      expect(slot).toBeGreaterThanOrEqual(Math.ceil((k * 16384) / n));
      expect(slot).toBeLessThan(Math.ceil(((k + 1) * 16384) / n));
    });
    expect(new Set(slots).size).toBe(n);
    const perMaster = [0, 0, 0];
    for (const slot of slots) perMaster[masterOf(slot, 3)]!++;
    for (const count of perMaster) expect(Math.abs(count - Math.round(n / 3))).toBeLessThanOrEqual(off);
  });

  it('a room\'s partition depends on its id alone, deterministic, and spreads ids evenly', () => {
    setRoomPartitions(48);
    expect(partitionOf('room-42')).toBe(partitionOf('room-42'));
    const counts = new Array<number>(48).fill(0);
    for (let i = 0; i < 48_000; i++) counts[partitionOf(`room_${i}`)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(200);
    // The same id of every type: one partition (the cross-type id rule is one script).
    const slots = new Set(ROOM_TYPES.map((t) => crc16Slot(roomKeys('rs', t, 'shared-id').room)));
    expect(slots.size).toBe(1);
  });

  it('every room script\'s KEYS share one slot, in any partition (N=48)', () => {
    setRoomPartitions(48);
    for (const [name, script] of Object.entries(SCRIPTS)) {
      for (const roomId of ['m1', 'another room', '-']) {
        const context = {
          prefix: 'rs',
          type: 'multi_room' as const,
          roomId,
          now: Date.now(),
          partition: partitionOf(roomId),
          actor: { userId: 'u1', sessionId: 's1', clientIp: '1.2.3.4' },
          opId: 'op',
          streamId: 'st',
          subject: 'u2',
        };
        const keys = keysFor(script.keys as readonly KeyName[], context);
        expect(new Set(keys.map(crc16Slot)).size, `${name} ${roomId}`).toBe(1);
      }
    }
  });

  it('the slot check refuses a call naming two slots, also through an ARGV key prefix, and ignores user data', () => {
    setRoomPartitions(48);
    const [a, b] = [roomKeys('rs', 'multi_room', 'm1'), roomKeys('rs', 'multi_room', '-', (partitionOf('m1') + 1) % 48)];
    expect(() => assertOneSlot('rs', 'x', [a.room, a.list], ['{"title":"a {b} c"}', 'rs:{' + partitionTag(partitionOf('m1')) + '}:multi_room:'])).not.toThrow();
    expect(() => assertOneSlot('rs', 'x', [a.room, b.list], [])).toThrow(/2 slots/);
    expect(() => assertOneSlot('rs', 'x', [a.room], [`multi_room=${b.list}`])).toThrow(/2 slots/);
  });

  it('a user\'s session index and home room set live in the user\'s home partition', () => {
    setRoomPartitions(48);
    const home = partitionTag(partitionOf('alice'));
    expect(userSessionsKey('rs', 'alice')).toContain(`{${home}}`);
    expect(homeRoomsKey('rs', 'alice')).toContain(`{${home}}`);
  });

  it('ROOM_SLOT_CHECK is read through the config: off by default, on for 1/true, anything else named', () => {
    const base = { LIVE_APP_ID: '1250000000', LIVE_BIZID: '8888', LIVE_PUSH_SECRET_KEY: 'e12c46f2612d5106e2034781ab261ca3', IM_SDK_APP_ID: '1400000000', IM_SECRET_KEY: 'a'.repeat(64), IM_ADMINISTRATOR: 'administrator' };
    expect(loadConfig(base).roomSlotCheck).toBe(false);
    expect(loadConfig({ ...base, ROOM_SLOT_CHECK: '1' }).roomSlotCheck).toBe(true);
    expect(loadConfig({ ...base, ROOM_SLOT_CHECK: 'true' }).roomSlotCheck).toBe(true);
    expect(() => loadConfig({ ...base, ROOM_SLOT_CHECK: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ROOM_SLOT_CHECK: 'maybe' })).toThrow(/ROOM_SLOT_CHECK must be true or false/);
  });

  it('ROOM_PARTITIONS must be an integer from 1 to 1024', () => {
    for (const bad of [0, 1025, 1.5, -3]) expect(() => setRoomPartitions(bad)).toThrow(/ROOM_PARTITIONS/);
  });
});
