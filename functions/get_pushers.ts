/** get_pushers: the room detail (pushers without their push URLs). */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_pushers',
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    return { ...(await rt.rooms.getRoom(actor, roomType, input.roomID)) };
  },
});

export const main_handler = scfHandler(endpoint);
