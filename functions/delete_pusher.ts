/** delete_pusher: the caller leaves its seat (the room may end with it). */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { leaveRequest, noFields } from '../shared/http/fields';
import { deletePusher } from '../shared/rooms/service';

export const endpoint = roomEndpoint({
  action: 'delete_pusher',
  summary: 'Gives up the caller\'s seat; the last pusher leaving (or the creator, where the creator ends the room) destroys the room and its IM group.',
  output: noFields,
  codes: [Code.NOT_A_MEMBER],
  input: leaveRequest,
  async run({ input, rt, roomType, actor }) {
    await deletePusher(rt, actor, roomType, input.roomID);
  },
});

export const main_handler = scfHandler(endpoint);
