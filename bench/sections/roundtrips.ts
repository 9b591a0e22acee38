/**
 * Redis round trips per request, per endpoint: every route of the router is
 * called once (one request in flight at a time) on a bed whose client counts
 * its round trips. Scripts are loaded first, so EVALSHA never falls back.
 */
import { SCRIPTS } from '../../shared/rooms/scripts';
import { adminClient, Bed, type User } from '../lib/bed';
import { countRoundTrips } from '../lib/roundtrips';

export interface TripRow {
  endpoint: string;
  roomType: string;
  scenario: string;
  roundTrips: number;
  commands: string[];
  limit: number;
  ok: boolean;
}

export async function runRoundTrips(bed: Bed): Promise<TripRow[]> {
  const admin = adminClient();
  for (const { lua } of Object.values(SCRIPTS)) await admin.script('LOAD', lua);
  bed.use();
  const counter = countRoundTrips(bed.rt.redis);
  const rows: TripRow[] = [];
  const users: Record<string, User> = {};

  /** Runs `work` (one request) with counting on; records a row. */
  const measure = async (endpoint: string, roomType: string, scenario: string, work: () => Promise<unknown>) => {
    const end = counter.begin();
    try {
      await work();
    } finally {
      const { roundTrips, commands } = end();
      const limit = endpoint === 'pusher_heartbeat' ? 1 : 2;
      rows.push({ endpoint, roomType, scenario, roundTrips, commands, limit, ok: roundTrips <= limit });
    }
  };

  // Warm every code path once without counting (first-use costs are not per-request costs).
  const warm = await bed.signIn('rt_warm');
  await bed.join(warm, 'multi_room', 'rt_warm_room');
  await bed.call(warm, 'multi_room', 'pusher_heartbeat', { roomID: 'rt_warm_room' });

  const login = (name: string, type = 'multi_room') =>
    measure('login', type, 'valid UserSig', async () => {
      users[name] = await bed.signIn(name, type);
    });
  await login('alice');
  await login('bob');
  await login('carol', 'live_room');
  const { alice, bob, carol } = users as { alice: User; bob: User; carol: User };

  const room = (endpoint: string, who: User, type: string, scenario: string, body: Record<string, unknown> = {}, expect = 0) =>
    measure(endpoint, type, scenario, () => bed.call(who, type, endpoint, body, expect));
  const utils = (endpoint: string, query: Record<string, string>) =>
    measure(endpoint, 'utils', 'GET', async () => {
      const answer = await bed.invoke(`/weapp/utils/${endpoint}`, query);
      if (answer.body.code !== 0) throw new Error(`${endpoint} answered ${JSON.stringify(answer.body)}`);
    });

  await room('get_push_url', alice, 'multi_room', 'signed-in caller', { roomID: 'rt_m1' });
  await room('create_room', alice, 'multi_room', 'new room (IM group + room)', { roomID: 'rt_m1', roomInfo: 'standup' });
  await measure('add_pusher', 'multi_room', 'creator enters created room (+notify ack)', () => bed.join(alice, 'multi_room', 'rt_m1'));
  await measure('add_pusher', 'multi_room', 'second pusher (+notify ack)', () => bed.join(bob, 'multi_room', 'rt_m1'));
  await measure('add_pusher', 'multi_room', 'room missing: created on the fly', () => bed.join(bob, 'multi_room', 'rt_m2'));
  await room('pusher_heartbeat', bob, 'multi_room', 'seated pusher', { roomID: 'rt_m1' });
  await room('get_pushers', alice, 'multi_room', 'room with 2 pushers', { roomID: 'rt_m1' });
  await room('get_room_list', alice, 'multi_room', 'index 0, cnt 20', { index: 0, cnt: 20 });
  await room('delete_pusher', bob, 'multi_room', 'pusher leaves (+notify ack)', { roomID: 'rt_m1' });
  await room('destroy_room', alice, 'multi_room', 'creator ends room (+destroy ack)', { roomID: 'rt_m1' });

  await measure('add_pusher', 'live_room', 'anchor creates live room', () => bed.join(carol, 'live_room', 'rt_l1'));
  await room('add_audience', alice, 'live_room', 'audience joins', { roomID: 'rt_l1', userInfo: '{"nick":"alice"}' });
  await room('get_audiences', carol, 'live_room', '1 audience', { roomID: 'rt_l1' });
  await room('set_custom_field', carol, 'live_room', 'inc counter', { roomID: 'rt_l1', fieldName: 'likes', operation: 'inc' });
  await room('get_custom_info', alice, 'live_room', 'custom counters', { roomID: 'rt_l1' });
  await room('merge_stream', carol, 'live_room', 'mix request (+live API)', {
    roomID: 'rt_l1',
    // A cancel (the creator alone): the same room check and one Cloud API call as a start.
    mergeParams: { timestamp: Math.floor(Date.now() / 1000), eventId: 1, interface: { interfaceName: 'Mix_StreamV2', para: { app_id: 1250000000, interface: 'mix_streamv2.cancel_mix_stream' } } },
  });
  await room('delete_audience', alice, 'live_room', 'audience leaves', { roomID: 'rt_l1' });

  await utils('get_login_info', { userID: 'dave' });
  await utils('get_test_pushurl', {});
  await utils('get_test_rtmpaccurl', {});
  await utils('check_config', {});
  await room('logout', alice, 'multi_room', 'revoke session');
  counter.restore();
  return rows;
}
