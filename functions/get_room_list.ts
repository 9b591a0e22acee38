/** get_room_list: one page of entered rooms in creation order. */
import { z } from 'zod';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { callerOnly, roomDetail, roomListPage, roomListPageSize } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_room_list',
  summary: 'One page of the rooms of this type with a live pusher, in creation order.',
  output: z.object({ rooms: z.array(roomDetail) }),
  codes: [],
  input: callerOnly.extend(roomListPage),
  async run({ input, rt, roomType, actor }) {
    return { rooms: await rt.rooms.listRooms(actor, roomType, input.index, roomListPageSize(input)) };
  },
});

export const main_handler = scfHandler(endpoint);
