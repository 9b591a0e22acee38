/** get_room_list: one page of entered rooms in creation order. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { callerOnly, intLike, roomDetail } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_room_list',
  summary: 'One page of the rooms of this type with a live pusher, in creation order.',
  output: z.object({ rooms: z.array(roomDetail) }),
  codes: [],
  input: callerOnly.extend({
    index: intLike.pipe(z.number().int().min(0, 'must be 0 or more').max(1_000_000, 'is too large')).default(0).describe('offset of the page: 0-1000000, default 0 (a number or digits)'),
    cnt: intLike.pipe(z.number().int().min(1, 'must be a positive integer').max(100, 'must be at most 100')).default(20).describe('rooms per page: 1-100, default 20 (a number or digits)'),
  }),
  async run({ input, rt, roomType, actor }) {
    return { rooms: await rt.rooms.listRooms(actor, roomType, input.index, input.cnt) };
  },
});

export const main_handler = scfHandler(endpoint);
