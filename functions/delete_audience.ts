/** delete_audience (live rooms): the caller leaves the audience list. */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { leaveRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'delete_audience',
  roomTypes: ['live_room'],
  input: leaveRequest,
  async run({ input, rt, roomType, actor }) {
    // Leaving no room is a no-op once the session is checked (see leaveRequest).
    if (input.roomID === '') await rt.rooms.checkSession(actor, roomType);
    else await rt.rooms.removeAudience(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
