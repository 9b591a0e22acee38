/** get_pushers: the room detail (pushers without their push URLs). */
import { Code } from '../shared/errors';
import { roomEndpoint, scfHandler } from '../shared/http/endpoint';
import { roomDetail, roomRequest } from '../shared/http/fields';

export const endpoint = roomEndpoint({
  action: 'get_pushers',
  summary: 'Reads one room: its info, creator, custom fields and the pushers whose heartbeat is live.',
  output: roomDetail,
  codes: [Code.ROOM_NOT_FOUND],
  input: roomRequest,
  async run({ input, rt, roomType, actor }) {
    return { ...(await rt.rooms.getRoom(actor, roomType, input.roomID)) };
  },
});

export const main_handler = scfHandler(endpoint);
