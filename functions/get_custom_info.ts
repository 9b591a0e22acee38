/** get_custom_info (live rooms): the room's custom counters as a JSON string. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_custom_info',
  roomTypes: ['live_room'],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    return { custom: (await rt.rooms.getRoom(actor, roomType, input.roomID)).custom };
  },
});

export const main_handler = scfHandler(endpoint);
