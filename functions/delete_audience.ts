/** delete_audience (live rooms): the caller leaves the audience list. */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { leaveRequest, noFields } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'delete_audience',
  summary: 'Leaves the audience list (removing an absent member is a no-op).',
  output: noFields,
  codes: [Code.ROOM_NOT_FOUND],
  roomTypes: ['live_room'],
  input: leaveRequest,
  async run({ input, rt, roomType, actor }) {
    // Leaving no room is a no-op once the session is checked (see leaveRequest).
    if (input.roomID === '') await rt.rooms.checkSession(actor, roomType);
    else await rt.rooms.removeAudience(actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
