/** delete_pusher: the caller leaves its seat (the room may end with it). */
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { leaveRequest } from '../shared/http/fields';
import { deletePusher } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'delete_pusher',
  input: leaveRequest,
  async run({ input, rt, roomType, actor }) {
    await deletePusher(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
