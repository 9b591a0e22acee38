/** delete_audience (live rooms): the caller leaves the audience list. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'delete_audience',
  roomTypes: ['live_room'],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    await rt.rooms.removeAudience(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
