/** get_audiences (live rooms): the audience list and its distinct count. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_audiences',
  roomTypes: ['live_room'],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    const audiences = await rt.rooms.getAudiences(actor, roomType, input.roomID);
    return { audienceCount: audiences.length, audiences };
  },
});

export const main_handler = scfHandler(endpoint);
